if size :over 100K { /* this is a comment
    this is still a comment */ discard /* this is a comment
    */ ;
}
if size :under 1k { stop; }
