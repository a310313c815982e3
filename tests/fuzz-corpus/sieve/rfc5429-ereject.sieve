require ["ereject"]; if true { ereject "no"; }
