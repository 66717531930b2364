#include "kura_curl.h"

#include <curl/curl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t global_init_once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct {
    unsigned char *data;
    size_t length;
    size_t capacity;
} growing_buffer;

void kura_sha256_hex(const void *bytes, size_t length, char out[65]) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(bytes ? bytes : (const void *)"", length, digest);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
    growing_buffer *b = userdata;
    size_t n = size * nmemb;
    if (b->length + n + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + n + 1) capacity *= 2;
        unsigned char *grown = realloc(b->data, capacity);
        if (!grown) return 0;
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, ptr, n);
    b->length += n;
    b->data[b->length] = 0;
    return n;
}

int kura_http_request(const char *method, const char *url, const char *sigv4, const char *userpwd,
                      const char *const *headers, int header_count, const void *body, size_t body_length,
                      long connect_timeout_seconds, long timeout_seconds, kura_http_response *response) {
    pthread_once(&global_init_once, global_init);
    memset(response, 0, sizeof *response);
    CURL *curl = curl_easy_init();
    if (!curl) {
        strncpy(response->error, "libcurl could not start a transfer", sizeof response->error - 1);
        response->curl_code = CURLE_FAILED_INIT;
        return CURLE_FAILED_INIT;
    }
    struct curl_slist *list = NULL;
    for (int i = 0; i < header_count; i++) list = curl_slist_append(list, headers[i]);
    if (sigv4) {
        // S3 wants the payload's SHA-256 in a header of its own, and it is part of what gets signed.
        char header[64 + sizeof "x-amz-content-sha256: "];
        memcpy(header, "x-amz-content-sha256: ", sizeof "x-amz-content-sha256: " - 1);
        kura_sha256_hex(body, body ? body_length : 0, header + sizeof "x-amz-content-sha256: " - 1);
        list = curl_slist_append(list, header);
    }
    growing_buffer received = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, response->error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_seconds);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    }
    if (sigv4) {
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
        curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd);
    }
    if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(curl);
    response->curl_code = (int)rc;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    } else if (response->error[0] == 0) {
        strncpy(response->error, curl_easy_strerror(rc), sizeof response->error - 1);
    }
    response->body = received.data;
    response->body_length = received.length;
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return (int)rc;
}
