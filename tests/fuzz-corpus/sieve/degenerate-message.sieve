From: a@b
Subject: this is a message, not a script

body
