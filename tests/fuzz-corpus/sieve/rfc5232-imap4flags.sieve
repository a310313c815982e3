require ["imap4flags", "fileinto"];
if header :contains "from" "boss@frobnitzm.example.edu" {
    setflag "\\Flagged";
    fileinto :flags "\\Deleted" "INBOX.From Boss";
}
if hasflag :contains "Junk" { removeflag "Junk"; }
addflag ["\\Seen", "\\Answered $Label1"];
keep :flags "$MDNSent";
