#include "mod/kept_post.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <optional>

#include <unistd.h>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "unixd.h"
#include "util_filter.h"

#include "mod/sign_in.h"
#include "mod/http.h"
#include "mod/socache_store.h"
#include "core/crypto.h"
#include "session/kept_post.h"
#include "url/request_kind.h"

APLOG_USE_MODULE(helpdesk_sso);

namespace hdsso::mod {

namespace {

constexpr const char* kFilter = "HDSSO_KEPT_POST";
// The one field of the form the replay page posts.
constexpr const char* kReplayField = "hdsso_replay";
// As long as a sign-in attempt lives (the pre-login state's lifetime).
constexpr int kKeepSeconds = 600;
constexpr long kDefaultMaxSize = 1024 * 1024;
constexpr long kMaxMaxSize = 64L * 1024 * 1024;

struct SpoolConfig {
    const char* directory = nullptr;  // HelpdeskSSOPostReplayDirectory (default: DefaultRuntimeDir)
    PostSpoolLimits limits;           // HelpdeskSSOPostReplayCount TOTAL [PER-CLIENT]
};

SpoolConfig& spool_config() {
    static SpoolConfig sc;
    return sc;
}

// Set in the parent by post_config; children inherit it.
std::optional<PostSpool>& spool() {
    static std::optional<PostSpool> s;
    return s;
}

const char* set_max_size(cmd_parms* cmd, void* mconfig, const char* arg) {
    long v = 0;
    if (!parse_long(arg, 0, kMaxMaxSize, v)) return bad_value(cmd, "a number of bytes from 0 (off) to 67108864", arg);
    cfg(mconfig)->post_replay_max = {static_cast<int>(v), 1};
    return nullptr;
}

const char* set_directory(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    const char* path = ap_server_root_relative(cmd->pool, arg);
    if (!path) return bad_value(cmd, "a directory", arg);
    spool_config().directory = path;
    return nullptr;
}

const char* set_count(cmd_parms* cmd, void*, const char* total, const char* per_client) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    long t = 0, p = 4;
    if (!parse_long(total, 1, 100000, t)) return bad_value(cmd, "a number of forms from 1 to 100000", total);
    if (per_client && !parse_long(per_client, 1, t, p))
        return bad_value(cmd, "a number of forms per client from 1 to the total", per_client);
    spool_config().limits = {static_cast<std::size_t>(t), static_cast<std::size_t>(std::min(p, t))};
    return nullptr;
}

std::string kept_cookie_name(const DirConfig* c) { return std::string(cookie_name(c)) + "_post"; }

std::string site_origin(request_rec* r) { return std::string(ap_http_scheme(r)) + "://" + host_url(r); }

bool from_this_site(request_rec* r) {
    const char* site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char* origin = apr_table_get(r->headers_in, "Origin");
    return same_origin(site ? site : "", origin ? origin : "", site_origin(r));
}

int too_large(request_rec* r, const DirConfig* c, long max) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO038: post.too_large: a form posted to %s without a session is "
                  "over HelpdeskSSOPostReplayMaxSize (%ld bytes): not kept", r->uri, max);
    apr_table_setn(r->notes, "hdsso-error", "post.too_large");
    std::string body = "<p>You are not signed in, and the form you sent is larger than the " +
                       std::to_string(max / 1024) +
                       " KiB this site keeps while you sign in, so it was not kept.</p>\n"
                       "<p>Sign in first, then go back and send it again (copy any text you typed before you "
                       "leave this page).</p>\n<p><a href=\"" + escape_html(r, login_url(r, c)) +
                       "\">Sign in</a></p>\n<p>Error code: <code>post.too_large</code></p>\n";
    return page_response(r, HTTP_REQUEST_ENTITY_TOO_LARGE, "Form too large to keep", body);
}

int not_kept(request_rec* r, const DirConfig* c, const Error& e) {
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "HDSSO039: %s: a form posted to %s without a session could not "
                  "be kept: %s", status_name(e.code), r->uri, e.detail.c_str());
    apr_table_setn(r->notes, "hdsso-error", status_name(e.code));
    std::string body = "<p>You are not signed in, and the form you sent cannot be kept while you sign in: " +
                       escape_html(r, status_message(e.code)) +
                       "</p>\n<p>Sign in first, then go back and send it again (copy any text you typed before "
                       "you leave this page).</p>\n<p><a href=\"" + escape_html(r, login_url(r, c)) +
                       "\">Sign in</a></p>\n<p>Error code: <code>" + escape_html(r, status_name(e.code)) +
                       "</code></p>\n";
    return page_response(r, HTTP_SERVICE_UNAVAILABLE, "Your form could not be kept", body);
}

struct KeptBody {
    const char* data;
    apr_size_t len;
    apr_size_t off;
};

// APR_BRIGADE_INSERT_TAIL, without the macro: in C++ its APR_OFFSETOF is a
// member access through a null pointer (undefined behaviour, which UBSan
// reports and stops on). The ring's sentinel is the brigade's list head
// seen as a bucket: offsetof on the standard-layout apr_bucket.
void append_bucket(apr_bucket_brigade* bb, apr_bucket* e) {
    auto* sentinel = reinterpret_cast<apr_bucket*>(reinterpret_cast<char*>(&bb->list) - offsetof(apr_bucket, link));
    apr_bucket* last = bb->list.prev;
    e->link.next = sentinel;
    e->link.prev = last;
    if (last == sentinel) bb->list.next = e;
    else last->link.next = e;
    bb->list.prev = e;
}

// Hands the kept bytes to whoever reads the body, then end of stream; the
// request's own (drained) body is never read.
apr_status_t kept_body_filter(ap_filter_t* f, apr_bucket_brigade* bb, ap_input_mode_t mode, apr_read_type_e,
                              apr_off_t readbytes) {
    auto* kb = static_cast<KeptBody*>(f->ctx);
    apr_bucket_alloc_t* ba = f->c->bucket_alloc;
    if (mode == AP_MODE_INIT) return APR_SUCCESS;
    apr_size_t left = kb->len - kb->off;
    if (left > 0) {
        apr_size_t n = (mode == AP_MODE_EXHAUSTIVE || readbytes <= 0) ? left
                                                                      : std::min<apr_size_t>(left, readbytes);
        append_bucket(bb, apr_bucket_immortal_create(kb->data + kb->off, n, ba));
        if (mode != AP_MODE_SPECULATIVE) kb->off += n;
        if (kb->off < kb->len || mode == AP_MODE_SPECULATIVE) return APR_SUCCESS;
    }
    append_bucket(bb, apr_bucket_eos_create(ba));
    return APR_SUCCESS;
}

// The body the helpdesk reads from here on (the request's own was read).
void supply_body(request_rec* r, const std::string& body) {
    auto* kb = static_cast<KeptBody*>(apr_pcalloc(r->pool, sizeof(KeptBody)));
    kb->data = static_cast<const char*>(apr_pmemdup(r->pool, body.data(), body.size() + 1));
    kb->len = body.size();
    apr_table_set(r->headers_in, "Content-Length", apr_off_t_toa(r->pool, static_cast<apr_off_t>(kb->len)));
    apr_table_unset(r->headers_in, "Transfer-Encoding");
    ap_add_input_filter(kFilter, kb, r, r->connection);
}

std::string client_of(request_rec* r) { return r->useragent_ip ? r->useragent_ip : ""; }

long max_size(const DirConfig* c) { return c->post_replay_max.set ? c->post_replay_max.value : kDefaultMaxSize; }

}  // namespace

const command_rec* kept_post_commands() {
    static const command_rec table[] = {
        AP_INIT_TAKE1("HelpdeskSSOPostReplayMaxSize", HDSSO_CMD(set_max_size), nullptr, RSRC_CONF | ACCESS_CONF,
                      "the largest form POST (bytes) kept while its sender signs in and posted again afterwards "
                      "(default 1048576; 0: not kept)"),
        AP_INIT_TAKE1("HelpdeskSSOPostReplayDirectory", HDSSO_CMD(set_directory), nullptr, RSRC_CONF,
                      "where kept form posts wait (default DefaultRuntimeDir/mod_helpdesk_sso-post; main server "
                      "only)"),
        AP_INIT_TAKE12("HelpdeskSSOPostReplayCount", HDSSO_CMD(set_count), nullptr, RSRC_CONF,
                       "form posts kept at once, overall and per client address (default 50 4; main server only)"),
        {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
    };
    return table;
}

void kept_post_pre_config() { spool_config() = SpoolConfig{}; }

int kept_post_post_config(apr_pool_t* pconf, server_rec* s) {
    const SpoolConfig& sc = spool_config();
    const char* dir = sc.directory ? sc.directory : ap_runtime_dir_relative(pconf, "mod_helpdesk_sso-post");
    PostSpool made(dir ? dir : "", sc.limits);
    if (auto ok = made.prepare(); !ok) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "HDSSO016: HelpdeskSSOPostReplayDirectory: %s",
                     ok.error().detail.c_str());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    // The children (Apache's User) write there.
    if (geteuid() == 0 && chown(dir, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, "HDSSO016: cannot give %s to Apache's User", dir);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    spool().emplace(std::move(made));
    return OK;
}

void register_kept_post_filter() {
    ap_register_input_filter(kFilter, kept_body_filter, nullptr, AP_FTYPE_RESOURCE);
}

int keep_post(request_rec* r, const DirConfig* c) {
    if (r->method_number != M_POST || r->main || r->prev || !spool()) return DECLINED;
    long max = max_size(c);
    const char* type = apr_table_get(r->headers_in, "Content-Type");
    if (max == 0 || !type || !form_content_type(type)) return DECLINED;
    if (!from_this_site(r)) {
        // Kept and posted again after the sign-in, it would be a forged
        // request made with the user's new session.
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO036: a form posted to %s from another site (or of unknown "
                      "origin) is not kept across the sign-in", r->uri);
        return DECLINED;
    }
    const char* length = apr_table_get(r->headers_in, "Content-Length");
    if (length && std::strtoll(length, nullptr, 10) > max) return too_large(r, c, max);
    auto body = read_request_body(r, max);
    if (!body) return not_kept(r, c, body.error());
    if (!body.value()) return too_large(r, c, max);
    std::int64_t now = RequestStores::clock().now();
    auto secret = random_bytes(16);
    if (!secret) return not_kept(r, c, secret.error());
    KeptPost post{r->unparsed_uri ? r->unparsed_uri : "/", type, std::move(*body.value()), now + kKeepSeconds,
                  hex_encode(secret.value())};
    auto name = spool()->keep(post, client_of(r), now);
    if (!name) return not_kept(r, c, name.error());
    set_attempt_cookie(r, c, kept_cookie_name(c), name.value(), kKeepSeconds);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO037: a form of %" APR_SIZE_T_FMT " bytes posted to %s without a session is "
                  "kept while its sender signs in", post.body.size(), r->uri);
    return DECLINED;
}

int replay_page(request_rec* r, const DirConfig* c, const std::string& target) {
    if (!spool()) return DECLINED;
    auto names = cookie_values(r, kept_cookie_name(c).c_str());
    if (names.empty()) return DECLINED;
    std::string name(names.front());
    auto post = spool()->peek(name, target, client_of(r), RequestStores::clock().now());
    if (!post) return DECLINED;
    // A form posted to the target with the kept post's secret alone: its
    // body is replaced by the kept one (restore_kept_post). Works with a
    // click when scripts are off.
    std::string action = escape_html(r, target);
    std::string body = "<form id=\"hdsso-replay\" method=\"post\" action=\"" + action +
                       "\" enctype=\"application/x-www-form-urlencoded\">\n"
                       "<input type=\"hidden\" name=\"" + std::string(kReplayField) + "\" value=\"" +
                       escape_html(r, post->secret) + "\">\n"
                       "<p>You are signed in. The form you sent before signing in is being sent again.</p>\n"
                       "<p><button type=\"submit\">Send the form again</button></p>\n</form>\n"
                       "<script>document.getElementById(\"hdsso-replay\").submit();</script>\n";
    return page_response(r, HTTP_OK, "Sending your form", body);
}

void restore_kept_post(request_rec* r, const DirConfig* c) {
    if (r->method_number != M_POST || r->main || r->prev || !spool()) return;
    auto names = cookie_values(r, kept_cookie_name(c).c_str());
    if (names.empty()) return;
    if (!from_this_site(r)) return;
    std::string name(names.front());
    const char* url = r->unparsed_uri ? r->unparsed_uri : "/";
    std::int64_t now = RequestStores::clock().now();
    auto kept = spool()->peek(name, url, client_of(r), now);
    if (!kept) return;
    // The replay page's post is "hdsso_replay=SECRET", urlencoded, exactly:
    // anything else is the user's own post, left as it is.
    const std::string expected = std::string(kReplayField) + "=" + kept->secret;
    const char* type = apr_table_get(r->headers_in, "Content-Type");
    const char* length = apr_table_get(r->headers_in, "Content-Length");
    if (!type || strcasecmp(type, "application/x-www-form-urlencoded") != 0 || !length ||
        std::strtoll(length, nullptr, 10) != static_cast<long long>(expected.size()) ||
        apr_table_get(r->headers_in, "Transfer-Encoding"))
        return;
    auto own = read_request_body(r, static_cast<apr_off_t>(expected.size()));
    std::string own_body = own && own.value() ? *own.value() : std::string();
    if (own_body != expected) {
        // Not the replay page's: its own bytes go on to the helpdesk.
        supply_body(r, own_body);
        return;
    }
    auto taken = spool()->take(name, url, client_of(r), now);
    if (!taken || !taken.value()) {
        supply_body(r, own_body);
        return;
    }
    const KeptPost& post = *taken.value();
    apr_table_set(r->headers_in, "Content-Type", post.content_type.c_str());
    supply_body(r, post.body);
    set_attempt_cookie(r, c, kept_cookie_name(c), "", 0);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "HDSSO042: the form kept while %s signed in is posted again to %s "
                  "(%" APR_SIZE_T_FMT " bytes)", r->user ? r->user : "the user", r->uri, post.body.size());
}

}  // namespace hdsso::mod
