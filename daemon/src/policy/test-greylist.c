/* test-greylist.c - unit tests for greylist.c and dnsbl.c's pure parts:
 * client networks, sender normalization, static whitelists, modes, DNSBL
 * zone lists and query names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "greylist.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

static void test_client_network(void **state)
{
	(void)state;
	static const struct {
		const char *addr;
		unsigned v4, v6;
		const char *want; /* NULL: -1 */
	} cases[] = {
		{ "192.0.2.77", 24, 64, "192.0.2.0/24" },
		{ "192.0.2.77", 32, 64, "192.0.2.77/32" },
		{ "192.0.2.77", 16, 64, "192.0.0.0/16" },
		{ "192.0.2.77", 20, 64, "192.0.0.0/20" },
		{ "::ffff:198.51.100.9", 24, 64, "198.51.100.0/24" },
		{ "2001:db8:1:2:3:4:5:6", 24, 64, "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:3:4:5:6", 24, 48, "2001:db8:1::/48" },
		{ "2001:db8:1:2:3:4:5:6", 24, 60, "2001:db8:1::/60" },
		{ "unknown", 24, 64, NULL },
		{ "", 24, 64, NULL },
		{ "192.0.2.1/24", 24, 64, NULL },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char out[GREYLIST_NET_TEXT_MAX];
		int ret = greylist_client_network(cases[i].addr, cases[i].v4, cases[i].v6, out,
						  sizeof(out));
		if (cases[i].want == NULL) {
			if (ret != -1)
				fail_msg("case %zu (%s): got \"%s\", want -1", i, cases[i].addr, out);
			continue;
		}
		if (ret != 0 || strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu (%s): got %d \"%s\", want \"%s\"", i, cases[i].addr, ret,
				 ret == 0 ? out : "", cases[i].want);
	}
}

static void test_sender_normalize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "Alice@Example.ORG", "alice@example.org" },
		{ "alice+news@example.org", "alice@example.org" },
		{ "list-bounces+bob=example.test@lists.example.org", "list-bounces@lists.example.org" },
		{ "bounce-123456-789@mailer.example.com", "bounce-#-#@mailer.example.com" },
		{ "prvs=4a3b2c1d0e=alice@example.org", "alice@example.org" },
		{ "PRVS=0123abcdef=Alice@example.org", "alice@example.org" },
		{ "msprvs1=18xyzabc=bounces@example.com", "bounces@example.com" },
		{ "SRS0=HHH=TT=orig.example=alice@forwarder.example", "srs@forwarder.example" },
		{ "srs1=xx=orig.example==HHH=TT=a@fwd.example", "srs@fwd.example" },
		{ "+only@example.org", "+only@example.org" },
		{ "no-at-sign", "no-at-sign" },
		{ "a@b@example.org", "a@b@example.org" },
	};
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char out[GREYLIST_SENDER_MAX + 1];
		greylist_sender_normalize(cases[i].in, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu (%s): got \"%s\", want \"%s\"", i, cases[i].in, out,
				 cases[i].want);
	}
	/* truncation keeps it a string */
	char small[8];
	greylist_sender_normalize("abcdefghijkl@example.org", small, sizeof(small));
	assert_string_equal(small, "abcdefg");
}

static void test_whitelists(void **state)
{
	(void)state;
	struct greylist_settings *set = calloc(1, sizeof(*set));
	char error[256];
	assert_int_equal(greylist_networks_parse(set, "192.0.2.0/24, 10.1.2.3 2001:db8::/32",
						 error, sizeof(error)), 0);
	assert_int_equal(set->net_count, 3);
	static const struct {
		const char *addr;
		bool want;
	} nets[] = {
		{ "192.0.2.200", true }, { "192.0.3.1", false }, { "10.1.2.3", true },
		{ "10.1.2.4", false }, { "2001:db8:ffff::1", true }, { "2001:db9::1", false },
		{ "::ffff:192.0.2.9", true }, { "garbage", false },
	};
	for (size_t i = 0; i < N_ELEMENTS(nets); i++)
		if (greylist_network_whitelisted(set, nets[i].addr) != nets[i].want)
			fail_msg("network case %zu (%s): got %d, want %d", i, nets[i].addr,
				 !nets[i].want, nets[i].want);
	static const char *const bad_nets[] = { "192.0.2.0/33", "300.1.1.1", "2001:db8::/129",
						"10.0.0.0/", "10.0.0.0/x" };
	for (size_t i = 0; i < N_ELEMENTS(bad_nets); i++)
		if (greylist_networks_parse(set, bad_nets[i], error, sizeof(error)) != -1)
			fail_msg("bad network %s: got accepted, want -1", bad_nets[i]);

	assert_int_equal(greylist_domains_parse(set, "Example.ORG, @partner.test .lists.example",
						error, sizeof(error)), 0);
	static const struct {
		const char *sender;
		bool want;
	} domains[] = {
		{ "a@example.org", true }, { "a@mail.example.org", true }, { "a@badexample.org", false },
		{ "a@partner.test", true }, { "a@x.lists.example", true }, { "", false },
		{ "a@", false }, { "noat", false },
	};
	for (size_t i = 0; i < N_ELEMENTS(domains); i++)
		if (greylist_domain_whitelisted(set, domains[i].sender) != domains[i].want)
			fail_msg("domain case %zu (%s): got %d, want %d", i, domains[i].sender,
				 !domains[i].want, domains[i].want);
	assert_int_equal(greylist_domains_parse(set, "a@b", error, sizeof(error)), -1);

	enum greylist_mode mode;
	assert_int_equal(greylist_mode_parse("dnsbl", &mode), 0);
	assert_int_equal(mode, GREYLIST_MODE_DNSBL);
	assert_int_equal(greylist_mode_parse("all", &mode), 0);
	assert_int_equal(mode, GREYLIST_MODE_ALL);
	assert_int_equal(greylist_mode_parse("none", &mode), 0);
	assert_int_equal(mode, GREYLIST_MODE_NONE);
	assert_int_equal(greylist_mode_parse("some", &mode), -1);
	free(set);
}

static void test_dnsbl_zones(void **state)
{
	(void)state;
	struct dnsbl_settings set;
	char error[256];
	memset(&set, 0, sizeof(set));
	assert_int_equal(dnsbl_zones_parse(&set, "zen.spamhaus.org*2 bl.spamcop.net*1, "
					   "Other.Example.", error, sizeof(error)), 0);
	assert_int_equal(set.zone_count, 3);
	assert_string_equal(set.zones[0].name, "zen.spamhaus.org");
	assert_int_equal(set.zones[0].weight, 2);
	assert_string_equal(set.zones[1].name, "bl.spamcop.net");
	assert_int_equal(set.zones[1].weight, 1);
	assert_string_equal(set.zones[2].name, "other.example");
	assert_int_equal(set.zones[2].weight, 1);
	assert_int_equal(dnsbl_zones_parse(&set, "", error, sizeof(error)), 0);
	assert_int_equal(set.zone_count, 0);
	static const char *const bad[] = { "zone*", "zone*x", "zone*1000", "*2", "bad/zone",
					   "a b c d e f g h i j k l m n o p q" };
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		if (dnsbl_zones_parse(&set, bad[i], error, sizeof(error)) != -1)
			fail_msg("bad zones \"%s\": got accepted, want -1", bad[i]);

	char name[DNSBL_QUERY_MAX + 1];
	assert_int_equal(dnsbl_query_name("127.0.0.2", "bl.test", name, sizeof(name)), 0);
	assert_string_equal(name, "2.0.0.127.bl.test");
	assert_int_equal(dnsbl_query_name("2001:db8::1", "bl.test", name, sizeof(name)), 0);
	assert_string_equal(name, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test");
	assert_int_equal(dnsbl_query_name("nope", "bl.test", name, sizeof(name)), -1);
	assert_int_equal(dnsbl_query_name("127.0.0.2", "bl.test", name, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_network),
		cmocka_unit_test(test_sender_normalize),
		cmocka_unit_test(test_whitelists),
		cmocka_unit_test(test_dnsbl_zones),
	};
	return cmocka_run_group_tests_name("greylist", tests, NULL, NULL);
}
