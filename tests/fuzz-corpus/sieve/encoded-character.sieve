require ["encoded-character", "fileinto"];
if header :contains "Subject" "$${hex:24 24}" { discard; }
fileinto "${unicode:263a} ${hex:41}${hex:}${unicode: 1F600 }";
