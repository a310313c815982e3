require ["imap4flags", "fileinto"];
setflag "\\Seen \\Answered \\Flagged \\Deleted \\Draft \\Recent bad(flag $ok";
removeflag "\\SEEN";
if hasflag :is "\\answered" { fileinto "answered"; }
fileinto :flags "" "noflags";
