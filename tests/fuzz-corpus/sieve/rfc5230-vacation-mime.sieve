require "vacation";
vacation :mime :handle "beach" :from "me@example.com" :subject "Gone" text:
Content-Type: multipart/alternative; boundary=foo

--foo

I'm at the beach relaxing.  Mmmm, surf...
..stuffed
--foo--
.
;
