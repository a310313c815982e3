redirect "a@x"; redirect "b@x"; redirect "c@x"; redirect "d@x"; redirect "e@x";
