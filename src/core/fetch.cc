#include "core/fetch.h"

#include <curl/curl.h>

#include "core/crypto.h"

namespace hdsso {

namespace {

struct Sink {
    std::string body;
    std::size_t max;
    bool too_large = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    auto* sink = static_cast<Sink*>(out);
    if (sink->body.size() + size * n > sink->max) {
        sink->too_large = true;
        return 0;  // stops the transfer
    }
    sink->body.append(data, size * n);
    return size * n;
}

int progress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return cancel && static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

}  // namespace

namespace {

using Headers = CPtr<curl_slist, curl_slist_free_all>;

Result<HttpAnswer> perform(const FetchOptions& o, const HttpRequestParts* req) {
    auto failed = [&](const std::string& why) { return make_error(Status::metadata_fetch_failed, o.url + ": " + why); };
    bool https = o.url.rfind("https://", 0) == 0;
    if (!https && !(o.allow_plain_http && o.url.rfind("http://", 0) == 0))
        return failed(o.allow_plain_http ? "not an http(s) URL" : "not an https URL");
    CPtr<CURL, curl_easy_cleanup> curl(curl_easy_init());
    if (!curl) return failed("libcurl did not start");
    Sink sink{{}, o.max_bytes};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, o.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o.allow_plain_http ? "http,https" : "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    bool post = req && req->post;
    // An exchange (a POST with a code or a client secret, a GET with a
    // bearer token) is never redirected: what it carries goes only where it
    // was addressed. Documents are.
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!o.ca_file.empty()) {  // these CAs only, not the system's beside them
        curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
        curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o.timeout_seconds);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o.timeout_seconds < 10 ? o.timeout_seconds : 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // from a background thread
    curl_easy_setopt(c, CURLOPT_FAILONERROR, req ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mod_helpdesk_sso");
    Headers headers(nullptr);
    if (req) {
        curl_slist* list = nullptr;
        std::vector<std::string> lines = req->headers;
        if (post) lines.push_back("Content-Type: " + req->content_type);
        for (const auto& line : lines) {
            curl_slist* next = curl_slist_append(list, line.c_str());
            if (!next) {
                curl_slist_free_all(list);
                return failed("out of memory");
            }
            list = next;
        }
        headers.reset(list);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
        if (post) {
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body.c_str());
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req->body.size()));
        }
    }
    if (o.cancel) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(o.cancel));
    }
    if (CURLcode rc = curl_easy_perform(c); rc != CURLE_OK) {
        if (sink.too_large) return failed("the document is over " + std::to_string(o.max_bytes) + " bytes");
        return failed(*errbuf ? errbuf : curl_easy_strerror(rc));
    }
    HttpAnswer answer;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
    char* type = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) answer.content_type = type;
    answer.body = std::move(sink.body);
    return answer;
}

}  // namespace

Result<std::string> fetch_url(const FetchOptions& o) {
    auto answer = perform(o, nullptr);
    if (!answer) return answer.error();
    return std::move(answer.value().body);
}

Result<HttpAnswer> http_exchange(const FetchOptions& o, const HttpRequestParts& req) { return perform(o, &req); }

}  // namespace hdsso
