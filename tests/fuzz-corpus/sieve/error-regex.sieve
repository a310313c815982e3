require "regex"; if header :regex "a" "(" { }
