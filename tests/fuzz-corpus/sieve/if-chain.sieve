if false { discard; } elsif allof (true, not false, anyof (false, exists "From")) { keep; } else { discard; }
