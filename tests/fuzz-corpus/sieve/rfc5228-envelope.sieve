require "envelope";
if envelope :all :is "from" "tim@example.com" { discard; }
if envelope :localpart :matches "to" "bob*" { keep; }
