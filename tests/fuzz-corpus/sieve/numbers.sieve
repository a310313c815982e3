if size :over 9007199254740992 { discard; }
if size :under 1G { keep; }
