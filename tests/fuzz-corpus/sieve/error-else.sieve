keep;
else { }
