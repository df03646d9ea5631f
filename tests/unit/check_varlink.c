/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink framing: split and joined messages, a missing NUL, oversize. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsd/varlink.h"
#include "tests/unit/run.h"

START_TEST(test_joined)
{
	static const char in[] = "{\"a\":1}\0{\"b\":2}\0{\"c\"";
	struct nsd_rbuf rb;
	size_t len;
	char *msg;

	nsd_rbuf_init(&rb, 1024);
	ck_assert_int_eq(nsd_rbuf_append(&rb, in, sizeof(in) - 1), 0);
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 1);
	ck_assert_uint_eq(len, 7);
	ck_assert_str_eq(msg, "{\"a\":1}");
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 1);
	ck_assert_str_eq(msg, "{\"b\":2}");
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 0); /* {"c" has no NUL yet */
	ck_assert_uint_eq(nsd_rbuf_pending(&rb), 4);
	ck_assert_int_eq(nsd_rbuf_append(&rb, ":3}", 4), 0); /* with its NUL */
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 1);
	ck_assert_str_eq(msg, "{\"c\":3}");
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 0);
	nsd_rbuf_free(&rb);
}
END_TEST

START_TEST(test_split_bytes)
{
	static const char in[] = "{\"method\":\"io.nsdd.supervisor.Info\"}";
	struct nsd_rbuf rb;
	size_t i, len;
	char *msg;

	nsd_rbuf_init(&rb, 1024);
	for (i = 0; i < sizeof(in) - 1; i++) {
		ck_assert_int_eq(nsd_rbuf_append(&rb, in + i, 1), 0);
		ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 0);
	}
	ck_assert_int_eq(nsd_rbuf_append(&rb, "", 1), 0);
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 1);
	ck_assert_str_eq(msg, in);
	nsd_rbuf_free(&rb);
}
END_TEST

START_TEST(test_missing_nul)
{
	struct nsd_rbuf rb;
	size_t len;
	char *msg;

	nsd_rbuf_init(&rb, 1024);
	ck_assert_int_eq(nsd_rbuf_append(&rb, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 0);
	ck_assert_uint_eq(nsd_rbuf_pending(&rb), 7); /* held, never handed out */
	nsd_rbuf_free(&rb);
}
END_TEST

START_TEST(test_oversize)
{
	char *big = malloc(2000);
	struct nsd_rbuf rb;
	size_t len;
	char *msg;

	memset(big, 'x', 2000);
	/* Without a NUL, past max: refused before the whole message arrives. */
	nsd_rbuf_init(&rb, 1024);
	ck_assert_int_eq(nsd_rbuf_append(&rb, big, 1025), 0);
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	nsd_rbuf_free(&rb);

	/* Exactly max bytes with its NUL is fine; one more is not. */
	nsd_rbuf_init(&rb, 1024);
	big[1024] = '\0';
	ck_assert_int_eq(nsd_rbuf_append(&rb, big, 1025), 0);
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), 1);
	ck_assert_uint_eq(len, 1024);
	big[1024] = 'x';
	big[1025] = '\0';
	ck_assert_int_eq(nsd_rbuf_append(&rb, big, 1026), 0);
	ck_assert_int_eq(nsd_rbuf_next(&rb, &msg, &len), -1);
	nsd_rbuf_free(&rb);
	free(big);
}
END_TEST

START_TEST(test_encode)
{
	json_t *v = json_pack("{s:s}", "method", "x");
	size_t len;
	char *buf = nsd_varlink_encode(v, &len);

	ck_assert_uint_eq(len, strlen("{\"method\":\"x\"}") + 1);
	ck_assert_int_eq(buf[len - 1], '\0');
	ck_assert_str_eq(buf, "{\"method\":\"x\"}");
	free(buf);
	json_decref(v);
}
END_TEST

/* Messages about the size of the encoder's first buffer, each side of it,
 * come out whole: one pass, or a second one into a buffer of their size. */
START_TEST(test_encode_sizes)
{
	size_t len, pad;

	for (pad = 4070; pad < 4110; pad++) {
		char *s = malloc(pad + 1), *buf;
		json_t *v, *back;
		memset(s, 'a', pad);
		s[pad] = '\0';
		v = json_pack("{s:s}", "k", s);
		buf = nsd_varlink_encode(v, &len);
		ck_assert_ptr_nonnull(buf);
		ck_assert_uint_eq(len, pad + strlen("{\"k\":\"\"}") + 1);
		ck_assert_int_eq(buf[len - 1], '\0');
		ck_assert_uint_eq(strlen(buf), len - 1);
		back = json_loads(buf, 0, NULL);
		ck_assert(json_equal(back, v));
		json_decref(back);
		json_decref(v);
		free(buf);
		free(s);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("varlink");
	TCase *tc = tcase_create("framing");

	tcase_add_test(tc, test_joined);
	tcase_add_test(tc, test_split_bytes);
	tcase_add_test(tc, test_missing_nul);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_encode_sizes);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
