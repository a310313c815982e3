require "fileinto";
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
            fileinto "filter";  # move to "filter" mailbox
        }
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
            keep;               # keep in "In" mailbox
        }
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
            fileinto "spam";   # move to "spam" mailbox
        }
else
        {
            fileinto "personal";
        }
