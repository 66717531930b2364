#ifndef KURA_CURL_H
#define KURA_CURL_H

#include <stddef.h>

/// One HTTP request's outcome: the status code, the response body (malloc'd, the caller frees it with free()),
/// and, when the transfer itself failed, libcurl's message.
typedef struct {
    long status;
    unsigned char *body;
    size_t body_length;
    int curl_code;
    char error[256];
} kura_http_response;

/// Sends one HTTP request with libcurl, signed with AWS Signature Version 4 when `sigv4` is not NULL
/// (such as "aws:amz:us-east-1:s3", with `userpwd` "ACCESS_KEY:SECRET_KEY").
///
/// `headers` is an array of `header_count` "Name: value" strings. `body` (may be NULL) is sent as the request
/// body. Returns 0 when the transfer completed (whatever the HTTP status), else libcurl's error code, with the
/// message in `response->error`. Timeouts: `connect_timeout_seconds` to connect, `timeout_seconds` in all
/// (0: no limit).
int kura_http_request(const char *method, const char *url, const char *sigv4, const char *userpwd,
                      const char *const *headers, int header_count, const void *body, size_t body_length,
                      long connect_timeout_seconds, long timeout_seconds, kura_http_response *response);

/// Writes the SHA-256 of `length` bytes at `bytes` as 64 lowercase hex digits and a NUL into `out`.
void kura_sha256_hex(const void *bytes, size_t length, char out[65]);

#endif
