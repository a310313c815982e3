require ["reject", "fileinto"];
fileinto "a";
reject "no";
