require ["regex", "fileinto"];
if header :regex "subject" "^(re|fwd?):" { stop; }
if address :regex :comparator "i;octet" "from" "[a-z]+@x" { keep; }
if header :regex "subject" ["w.*rld", "(a|b)*c"] { fileinto "regex"; }
