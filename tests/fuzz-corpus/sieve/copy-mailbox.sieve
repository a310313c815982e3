require ["copy", "fileinto", "mailbox"];
fileinto :copy :create "incoming";
redirect :copy "a@b.c";
redirect "a@b.c";
