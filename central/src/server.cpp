// The central service: cpp-httplib SSLServer (TLS 1.3, client certificate required) and the v1
// handlers.
#include "server.hpp"

#include "auth_http.hpp"
#include "case_store.hpp"
#include "filer_check.hpp"
#include "filing_check.hpp"
#include "rate_limit.hpp"
#include "verification.hpp"
#include "workflow.hpp"

#include <network/case_lease.hpp>
#include <network/openssl.hpp>
#include <network/protocol.hpp>
#include <network/receipt.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

namespace shensu::central
{

namespace
{
    namespace proto = network::protocol;

    void sendJson(httplib::Response& res, int status, const nlohmann::json& body)
    {
        res.status = status;
        res.set_content(body.dump(), "application/json");
    }
    void sendError(httplib::Response& res, int status, const char* message)
    {
        sendJson(res, status, { { "error", message } });
    }

    bool validIdempotencyKey(const std::string& key)
    {
        return !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || c == '-';
        });
    }

    // The verified TLS client's CN (the kiosk id), or "" if there is none.
    std::string clientKioskId(const httplib::Request& req)
    {
        if (!req.ssl || SSL_get_verify_result(req.ssl) != X509_V_OK) return {};
        const X509* peer = SSL_get0_peer_certificate(req.ssl);
        return peer ? network::openssl::commonName(peer) : std::string();
    }

    bool setupTls(SSL_CTX& ctx, const ServeOptions& o)
    {
        SSL_CTX_set_min_proto_version(&ctx, TLS1_3_VERSION);
        SSL_CTX_set_max_proto_version(&ctx, TLS1_3_VERSION);
        if (SSL_CTX_use_certificate_chain_file(&ctx, o.cert.c_str()) != 1
            || SSL_CTX_use_PrivateKey_file(&ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1
            || SSL_CTX_check_private_key(&ctx) != 1
            || SSL_CTX_load_verify_locations(&ctx, o.clientCa.c_str(), nullptr) != 1)
            return false;
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.clientCa.c_str());
        if (!names) return false;
        SSL_CTX_set_client_CA_list(&ctx, names);
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        // Without a session id context every TLS 1.3 resumption under SSL_VERIFY_PEER ends in
        // internal_error.
        static const unsigned char SESSION_CONTEXT[] = "shensu-central";
        SSL_CTX_set_session_id_context(&ctx, SESSION_CONTEXT, sizeof SESSION_CONTEXT - 1);
        return true;
    }

    // ROC date (7 digits) '-' sequence (4 to 8 digits), as rocDate() and registerLocked() make.
    bool wellFormedCaseNumber(const std::string& n)
    {
        if (n.size() < 12 || n.size() > 16 || n[7] != '-') return false;
        for (std::size_t i = 0; i < n.size(); ++i)
            if (i != 7 && (n[i] < '0' || n[i] > '9')) return false;
        return true;
    }

    // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
    sigset_t stopSignals()
    {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        return set;
    }

    // The keys that seal stored receipts (they name verification codes) are derived from the
    // encryption key, so the case database alone reveals no code. (A dedicated secret belongs in
    // real deployment configuration.) v2: HKDF-SHA256 over the key's DER; v1 (the first
    // releases): SHA-256(label || DER), kept only to open rows sealed under it.
    struct AtRestKeys {
        network::Bytes v2, v1;
    };
    AtRestKeys atRestKeys(const std::filesystem::path& encryptionKey)
    {
        auto key = network::openssl::readPrivateKey(encryptionKey);
        unsigned char* der = nullptr;
        const int len = i2d_PrivateKey(key.get(), &der);
        network::openssl::check(len > 0, "i2d_PrivateKey");
        const std::span secret(der, static_cast<std::size_t>(len));
        AtRestKeys out;

        std::string input = "shensu-central receipts at rest v1\n";
        input.append(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
        out.v1 = network::openssl::sha256(
            std::span(reinterpret_cast<const unsigned char*>(input.data()), input.size()));
        OPENSSL_cleanse(input.data(), input.size());

        out.v2.resize(32);
        std::unique_ptr<EVP_PKEY_CTX, network::openssl::Deleter<EVP_PKEY_CTX_free>> ctx(
            EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
        static const char SALT[] = "shensu-central";
        static const char INFO[] = "receipts at rest v2";
        std::size_t outLen = out.v2.size();
        const bool ok = ctx && EVP_PKEY_derive_init(ctx.get()) == 1
            && EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) == 1
            && EVP_PKEY_CTX_set1_hkdf_salt(
                   ctx.get(), reinterpret_cast<const unsigned char*>(SALT), sizeof SALT - 1)
                == 1
            && EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), secret.data(), static_cast<int>(secret.size()))
                == 1
            && EVP_PKEY_CTX_add1_hkdf_info(
                   ctx.get(), reinterpret_cast<const unsigned char*>(INFO), sizeof INFO - 1)
                == 1
            && EVP_PKEY_derive(ctx.get(), out.v2.data(), &outLen) == 1 && outLen == 32;
        OPENSSL_clear_free(der, static_cast<std::size_t>(len));
        network::openssl::check(ok, "HKDF");
        return out;
    }

    ReceiptSigning receiptSigning(const ServeOptions& options, const network::ReceiptSigner& signer)
    {
        auto current = atRestKeys(options.encryptionKey);
        ReceiptSigning signing { signer.id(),
            [&signer](const proto::SubmissionReceipt& r) { return proto::toBody(signer.sign(r)); },
            std::move(current.v2), {} };
        signing.olderAtRestKeys.push_back(std::move(current.v1));
        if (!options.previousEncryptionKey.empty()) {
            auto previous = atRestKeys(options.previousEncryptionKey);
            signing.olderAtRestKeys.push_back(std::move(previous.v2));
            signing.olderAtRestKeys.push_back(std::move(previous.v1));
        }
        return signing;
    }

    // Idempotency-Keys whose request is being processed right now: a second request with the
    // same key meanwhile gets 409 (draft-ietf-httpapi-idempotency-key-header, "concurrent
    // request") instead of racing the first.
    class InFlight
    {
    public:
        class Claim
        {
        public:
            Claim(InFlight& owner, std::string key)
                : owner_(owner)
                , key_(std::move(key))
            {
                std::lock_guard lock(owner_.mutex_);
                claimed_ = owner_.keys_.insert(key_).second;
            }
            ~Claim()
            {
                if (!claimed_) return;
                std::lock_guard lock(owner_.mutex_);
                owner_.keys_.erase(key_);
            }
            Claim(const Claim&) = delete;
            Claim& operator=(const Claim&) = delete;
            bool claimed() const noexcept { return claimed_; }

        private:
            InFlight& owner_;
            std::string key_;
            bool claimed_ = false;
        };

    private:
        std::mutex mutex_;
        std::set<std::string> keys_;
    };

    // Worker threads: kiosk connections served at once (see new_task_queue below).
    constexpr std::size_t CENTRAL_WORKERS = 64;

    void tooMany(httplib::Response& res, std::chrono::milliseconds retryAfter)
    {
        const auto seconds = std::max<long long>(1, (retryAfter.count() + 999) / 1000);
        res.set_header("Retry-After", std::to_string(seconds));
        sendError(res, 429, "too many status queries; try again later");
    }
} // namespace

int serve(const ServeOptions& options)
{
    const sigset_t signals = stopSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    network::EnvelopeOpener opener(options.encryptionCert, options.encryptionKey, options.clientCa);
    const network::ReceiptSigner signer(options.receiptCert, options.receiptKey);
    const network::LeaseSigner leaseSigner(options.receiptCert, options.receiptKey);
    const WorkflowRules rules
        = options.workflow.empty() ? WorkflowRules {} : WorkflowRules::load(options.workflow);
    const auto storage = openCaseStorage(options.db.string(), receiptSigning(options, signer));
    CaseStorage& store = *storage;
    std::optional<FormRegistry> forms;
    if (options.forms.empty()) {
        std::cerr << "shensu-central: WARNING: no --forms: every filing's answers are registered "
                     "UNCHECKED (give --forms with the kiosks' form files, e.g. assets/forms)\n";
    } else {
        forms = FormRegistry::load(options.forms);
    }
    InFlight inFlight;
    RateLimiter statusPerKiosk(rules.statusPerKiosk);
    RateLimiter statusPerCase(rules.statusPerCase);
    // Each heartbeat is a FULL-sync write under the store's lock: a kiosk sends one a minute;
    // allow a burst of 5, then one per 10 s.
    RateLimiter heartbeatsPerKiosk(RateLimit { 5, std::chrono::seconds(10) });
    // A kiosk asks for a lease when it runs low: a burst of 5, then one a minute.
    RateLimiter leasesPerKiosk(RateLimit { 5, std::chrono::seconds(60) });

    std::unique_ptr<AuthService> auth;
    if (options.auth) auth = std::make_unique<AuthService>(*options.auth, options.db.string());
    const FilerCheck filers(auth.get(), options.receiptCert);

    httplib::SSLServer server([&](SSL_CTX& ctx) { return setupTls(ctx, options); });
    if (!server.is_valid()) {
        std::cerr << "shensu-central: cannot set up TLS (certificate, key or client CA)\n";
        return 1;
    }
    // A kiosk's keep-alive connection holds one worker until it has been idle for the keep-alive
    // timeout below, so the pool bounds how many kiosks are served at once; cpp-httplib's default
    // (8 on two cores) left a 9th busy kiosk waiting until another's connection idled. Workers
    // are mostly idle threads; the CPU-bound work (scrypt, CMS) is the same per filing.
    server.new_task_queue = [] { return new httplib::ThreadPool(CENTRAL_WORKERS); };
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(100000);
    // An idle kiosk connection holds a worker until this runs out, and stop() waits for the
    // workers: keep it short so SIGTERM ends central within about a second (a new connection costs
    // one TLS 1.3 resumption).
    server.set_keep_alive_timeout(1);
    server.set_payload_max_length(1 << 20);

    server.Post(std::string(proto::SUBMISSIONS_PATH),
        [&](const httplib::Request& req, httplib::Response& res) {
            // A refusal of this very filing carries a short code the kiosk keeps beside the
            // filing it holds (network/README.md, "Held filings"): which check, never content.
            const auto refuse = [&](int status, const char* code, const std::string& message) {
                sendJson(res, status, { { "error", message }, { "code", code } });
            };
            const std::string key = req.get_header_value(std::string(proto::IDEMPOTENCY_HEADER));
            if (!validIdempotencyKey(key))
                return refuse(
                    400, "idempotency-key", "Idempotency-Key header missing or malformed");
            if (req.get_header_value("Content-Type") != proto::ENVELOPE_CONTENT_TYPE)
                return refuse(415, "content-type", "expected application/cms");
            const std::string kioskId = clientKioskId(req);
            if (kioskId.empty()) return sendError(res, 403, "client certificate required");

            const InFlight::Claim claim(inFlight, key);
            if (!claim.claimed()) {
                res.set_header("Retry-After", "1");
                return sendError(res, 409, "a request with this Idempotency-Key is in progress");
            }

            const std::span body(
                reinterpret_cast<const unsigned char*>(req.body.data()), req.body.size());
            const std::string digest = network::openssl::hex(network::openssl::sha256(body));

            auto answer = [&](const CaseStorage::Lookup& found) {
                if (found.replay == CaseStorage::Replay::OTHER_BODY)
                    return refuse(422, "idempotency-key-reused",
                        "Idempotency-Key already used for another submission");
                std::cerr << "shensu-central: replay of a submission from " << kioskId << '\n';
                res.status = 200;
                res.set_content(found.answer, "application/json");
            };
            if (auto found = store.findSubmission(key, digest);
                found.replay != CaseStorage::Replay::NONE)
                return answer(found);

            // Decrypt and verify against the kiosk CA (the plaintext is not kept here); the kiosk
            // that signed it must be the one on the TLS connection, so one kiosk cannot relay
            // another's envelopes.
            network::OpenedEnvelope opened;
            try {
                opened = opener.open(body);
            } catch (const network::SealError&) {
                std::cerr << "shensu-central: refused an envelope from " << kioskId
                          << " (does not open or verify)\n";
                return refuse(
                    422, "envelope", "envelope does not decrypt or its signature does not verify");
            }
            const auto& signers = opened.signerCommonNames;
            if (std::find(signers.begin(), signers.end(), kioskId) == signers.end()) {
                std::cerr << "shensu-central: refused an envelope from " << kioskId
                          << " (signed by another kiosk)\n";
                return refuse(422, "signer", "envelope is not signed by this kiosk");
            }
            // The plaintext parsed once, for the filer, form and lease checks below (discarded if
            // it is not JSON: each check refuses or skips it as before).
            nlohmann::json parsed = nlohmann::json::parse(opened.content, nullptr, false);
            // The filer block against the card's SignerInfo / the identity assertion.
            if (const auto verdict = filers.check(parsed, opened, kioskId); verdict.status != 0) {
                std::cerr << "shensu-central: refused a filing from " << kioskId << " ("
                          << verdict.reason << ")\n";
                return verdict.status == 422
                    ? refuse(422, "filer", verdict.reason)
                    : sendError(res, verdict.status, verdict.reason.c_str());
            }
            // The kiosk's validator on the answers, against the same form file: a kiosk (or
            // anything holding a kiosk's key) cannot register answers the form does not allow.
            // The answer names fields, never values.
            if (forms) {
                const FilingVerdict verdict = parsed.is_object()
                    ? checkFiling(*forms, parsed)
                    : FilingVerdict { false, "not a filing", {} };
                if (!verdict.ok) {
                    std::cerr << "shensu-central: refused a filing from " << kioskId << " ("
                              << verdict.error << ", " << verdict.fields.size() << " fields)\n";
                    return sendJson(res, 422,
                        { { "error", verdict.error }, { "code", "form" },
                            { "fields", verdict.fields } });
                }
            }
            if (options.processingDelayMs > 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(options.processingDelayMs));

            // A filing sealed offline carries a leased case number and the kiosk's own
            // verification code (network/case_lease.hpp); the store checks the lease.
            // A plaintext that is not a JSON object (possible only without --forms) has none.
            std::optional<network::LeasedNumber> leased;
            try {
                if (parsed.is_object()) leased = network::leasedNumberOf(parsed);
            } catch (const network::LeaseError&) { // a lease block, malformed
                std::cerr << "shensu-central: refused an envelope from " << kioskId
                          << " (malformed leased number)\n";
                return refuse(422, "lease", "the filing's leased case number is malformed");
            }
            parsed = nullptr;
            // Nothing below reads the plaintext: it stays sealed in the stored envelope. (opened
            // wipes it on every return; here before the slow hash and the store.)
            opened.wipe();

            // The slow hash runs here, on this request's thread, outside the store's lock.
            const std::string code = leased ? leased->verificationCode : newVerificationCode();
            const CaseStorage::NewCase newCase { key, digest, body, kioskId,
                std::chrono::system_clock::now(), code, hashVerificationCode(code), leased,
                &options.lease };
            proto::SubmissionReceipt created;
            CaseStorage::Lookup registered;
            try {
                registered = store.registerCase(newCase, rules, created);
            } catch (const LeaseRefused& e) {
                std::cerr << "shensu-central: refused a leased number from " << kioskId << " ("
                          << e.what() << ")\n";
                return sendJson(res, 422,
                    { { "error", "the filing's leased case number cannot be used" },
                        { "code", "lease" }, { "reason", e.what() } });
            }
            if (registered.replay != CaseStorage::Replay::NONE) return answer(registered);
            // One write per line (std::cerr flushes after every <<): cheaper per filing, and
            // concurrent requests' lines do not interleave.
            std::string line
                = "shensu-central: case " + created.caseNumber + " received from " + kioskId;
            // Registered all the same (central/README.md); a technician may look at the
            // kiosk's clock.
            if (!registered.leaseNote.empty())
                line += " (leased number " + registered.leaseNote + ')';
            std::cerr << line + '\n';
            res.status = 201;
            res.set_content(registered.answer, "application/json");
        });

    server.Post(std::string(proto::CASE_STATUS_PATH),
        [&](const httplib::Request& req, httplib::Response& res) {
            const auto json = nlohmann::json::parse(req.body, nullptr, false);
            const auto* number = json.is_object() && json.contains("caseNumber")
                ? json["caseNumber"].get_ptr<const std::string*>()
                : nullptr;
            const auto* code = json.is_object() && json.contains("verificationCode")
                ? json["verificationCode"].get_ptr<const std::string*>()
                : nullptr;
            if (!number || !code)
                return sendError(res, 400, "caseNumber and verificationCode required");

            // Only a case number's shape gets a bucket (memory stays bounded by real numbers).
            if (!wellFormedCaseNumber(*number)) return sendError(res, 400, "caseNumber malformed");
            // Limits before any work: per kiosk (a kiosk being used to sweep case numbers) and
            // per case number, whichever kiosk asks: guessing one case's code stays limited when
            // the guesser moves between kiosks. The per-kiosk limit bounds how many cases one
            // kiosk can hold at 429 (central/README.md).
            const auto now = RateLimiter::Clock::now();
            std::chrono::milliseconds retryAfter { 0 };
            const std::string kiosk = clientKioskId(req);
            if (!statusPerKiosk.take(kiosk, now, retryAfter)
                || !statusPerCase.take(*number, now, retryAfter))
                return tooMany(res, retryAfter);

            // An unknown case, a malformed and a wrong code all get the same answer after the
            // same work, so neither the answer nor its timing says which case numbers exist.
            const auto hash = proto::isWellFormedVerificationCode(*code)
                ? store.verificationHash(*number)
                : std::nullopt;
            std::optional<CaseView> found;
            if (!hash)
                spendVerificationWork(*code);
            else if (verificationCodeMatches(*code, *hash))
                found = store.find(*number);
            if (!found) return sendError(res, 404, "no such case");
            sendJson(res, 200,
                { { "caseNumber", found->caseNumber }, { "status", found->status },
                    { "statusText", std::string(caseState(found->status).text) },
                    { "statusAt", found->statusAt }, { "receivedAt", found->receivedAt },
                    { "initialReportDue", found->initialReportDue },
                    { "resultReportDue", found->resultReportDue },
                    { "resultExtensions", found->resultExtensions } });
        });

    server.Post(std::string(proto::HEARTBEAT_PATH),
        [&](const httplib::Request& req, httplib::Response& res) {
            const std::string kioskId = clientKioskId(req);
            if (kioskId.empty()) return sendError(res, 403, "client certificate required");
            std::chrono::milliseconds retryAfter { 0 };
            if (!heartbeatsPerKiosk.take(kioskId, RateLimiter::Clock::now(), retryAfter))
                return tooMany(res, retryAfter);
            proto::Heartbeat heartbeat;
            try {
                heartbeat = proto::parseHeartbeat(req.body);
            } catch (const network::ProtocolError& e) {
                return sendError(res, 400, e.what());
            }
            const auto now = std::chrono::system_clock::now();
            store.recordHeartbeat(kioskId, heartbeat, now);
            // Filings this central refused for good wait at the kiosk for a technician.
            if (heartbeat.heldFilings > 0)
                std::cerr << "shensu-central: kiosk " << kioskId << " holds "
                          << heartbeat.heldFilings << " filing(s) central refused\n";
            sendJson(res, 200, { { "receivedAt", utcTimestamp(now) } });
        });

    server.Post(std::string(proto::CASE_LEASE_PATH),
        [&](const httplib::Request& req, httplib::Response& res) {
            const std::string kioskId = clientKioskId(req);
            if (kioskId.empty()) return sendError(res, 403, "client certificate required");
            std::chrono::milliseconds retryAfter { 0 };
            if (!leasesPerKiosk.take(kioskId, RateLimiter::Clock::now(), retryAfter))
                return tooMany(res, retryAfter);
            CaseStorage::LeaseAnswer answer;
            try {
                answer = store.leaseCaseNumbers(kioskId, options.lease,
                    std::chrono::system_clock::now(),
                    [&](const network::CaseLease& lease) { return leaseSigner.sign(lease); });
            } catch (const LeaseUnavailable& e) {
                return sendError(res, 503, e.what());
            }
            if (answer.created)
                std::cerr << "shensu-central: leased " << options.lease.blockSize
                          << " case numbers to " << kioskId << '\n';
            res.status = answer.created ? 201 : 200;
            res.set_content(answer.body, "application/json");
        });

    if (auth) addAuthRoutes(server, *auth);

    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, const std::exception_ptr& error) {
            if (storageUnavailable(error))
                sendError(res, 503, "storage unavailable");
            else
                sendError(res, 500, "internal error");
        });

    int port = options.port;
    if (port == 0)
        port = server.bind_to_any_port(options.host);
    else if (!server.bind_to_port(options.host, port))
        port = -1;
    if (port <= 0) {
        std::cerr << "shensu-central: cannot listen on " << options.host << ':' << options.port
                  << '\n';
        return 1;
    }

    std::atomic<bool> done { false };
    std::thread signalWaiter([&] {
        const timespec tick { 0, 100'000'000 };
        while (!done) {
            if (sigtimedwait(&signals, nullptr, &tick) > 0) {
                // stop() is a no-op until listen_after_bind() is running (a signal can come right
                // after the "listening on" line), and must be called once: wait for it to run, then
                // stop it.
                while (!done && !server.is_running())
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                if (!done) server.stop();
                return;
            }
        }
    });

    std::cout << "listening on " << options.host << ':' << port << std::endl;
    const bool ok = server.listen_after_bind();
    done = true;
    signalWaiter.join();
    std::cerr << "shensu-central: stopped\n";
    return ok ? 0 : 1;
}

} // namespace shensu::central
