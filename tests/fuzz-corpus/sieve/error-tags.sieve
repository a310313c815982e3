if header :is :contains :comparator "i;foo" "a" "b" { }
