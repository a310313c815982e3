# admin.sieve - the administrator-wide Sieve script Tandem runs before each
# user's own (tandem.conf: sieve_admin_script). Mail SpamAssassin tagged
# (X-Spam-Flag: YES, added by spamass-milter) goes to the user's Junk
# folder; everything else continues to the user's script.
require ["fileinto"];
if header :is "X-Spam-Flag" "YES" {
	fileinto "Junk";
	stop;
}
