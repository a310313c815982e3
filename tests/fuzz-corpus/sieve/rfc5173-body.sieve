require ["body", "fileinto"];
if body :raw :contains "MAKE MONEY FAST" { discard; }
if body :content "text" :contains "missile" { fileinto "secret"; }
if body :content ["text/html", "application", ""] :contains "cherry" { fileinto "fruit"; }
if body :text :matches "*Berlin*" { keep; }
