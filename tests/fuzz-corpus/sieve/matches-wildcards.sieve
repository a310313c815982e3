if header :matches "subject" ["*a*b*c*d*e*f*", "\\*?", "h?llo*"] { discard; }
if header :matches :comparator "i;octet" "from" "*Alice*" { keep; }
