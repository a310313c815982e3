require ["envelope", "subaddress", "fileinto"];
if envelope :user "to" "bob" {
  if envelope :detail :matches "to" "*" { fileinto "inbox.shop"; }
}
if address :detail "to" "" { keep; }
if address :user :is "to" "dave" { redirect "x@example.net"; }
