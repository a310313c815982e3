require "reject";
if header :contains "subject" "Hello" {
  reject text:
Please do not send me such mail.
.
;
}
