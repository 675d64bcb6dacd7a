// The central service: cpp-httplib SSLServer (TLS 1.3, client certificate required) and the v1
// handlers.
#include "server.hpp"

#include "auth_http.hpp"
#include "case_store.hpp"

#include <network/openssl.hpp>
#include <network/protocol.hpp>
#include <network/receipt.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <httplib.h>
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

    // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
    sigset_t stopSignals()
    {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        return set;
    }

    network::Bytes codeSecret(const std::filesystem::path& encryptionKey)
    {
        // The secret behind verification codes is derived from the encryption key, so the case
        // database alone does not reveal codes. (A dedicated secret belongs in real deployment
        // configuration.)
        auto key = network::openssl::readPrivateKey(encryptionKey);
        unsigned char* der = nullptr;
        const int len = i2d_PrivateKey(key.get(), &der);
        network::openssl::check(len > 0, "i2d_PrivateKey");
        std::string input = "shensu-central verification-code v1\n";
        input.append(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
        OPENSSL_clear_free(der, static_cast<std::size_t>(len));
        auto secret = network::openssl::sha256(
            std::span(reinterpret_cast<const unsigned char*>(input.data()), input.size()));
        OPENSSL_cleanse(input.data(), input.size());
        return secret;
    }
} // namespace

int serve(const ServeOptions& options)
{
    const sigset_t signals = stopSignals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    network::EnvelopeOpener opener(options.encryptionCert, options.encryptionKey, options.clientCa);
    CaseStore store(options.db, codeSecret(options.encryptionKey));
    const network::ReceiptSigner signer(options.receiptCert, options.receiptKey);
    auto signedAnswer = [&](const proto::SubmissionReceipt& receipt) {
        return store.answer(receipt, signer.id(),
            [&](const proto::SubmissionReceipt& r) { return proto::toBody(signer.sign(r)); });
    };

    std::unique_ptr<AuthService> auth;
    if (options.auth) auth = std::make_unique<AuthService>(*options.auth, options.db);

    httplib::SSLServer server([&](SSL_CTX& ctx) { return setupTls(ctx, options); });
    if (!server.is_valid()) {
        std::cerr << "shensu-central: cannot set up TLS (certificate, key or client CA)\n";
        return 1;
    }
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(100000);
    // An idle kiosk connection holds a worker until this runs out, and stop() waits for the
    // workers: keep it short so SIGTERM ends central within about a second (a new connection costs
    // one TLS 1.3 resumption).
    server.set_keep_alive_timeout(1);
    server.set_payload_max_length(1 << 20);

    server.Post(std::string(proto::SUBMISSIONS_PATH),
        [&](const httplib::Request& req, httplib::Response& res) {
            const std::string key = req.get_header_value(std::string(proto::IDEMPOTENCY_HEADER));
            if (!validIdempotencyKey(key))
                return sendError(res, 400, "Idempotency-Key header missing or malformed");
            if (req.get_header_value("Content-Type") != proto::ENVELOPE_CONTENT_TYPE)
                return sendError(res, 415, "expected application/cms");
            const std::string kioskId = clientKioskId(req);
            if (kioskId.empty()) return sendError(res, 403, "client certificate required");

            const std::span body(
                reinterpret_cast<const unsigned char*>(req.body.data()), req.body.size());
            const std::string digest = network::openssl::hex(network::openssl::sha256(body));

            auto answer = [&](const CaseStore::Lookup& found) {
                if (found.replay == CaseStore::Replay::OTHER_BODY)
                    return sendError(
                        res, 422, "Idempotency-Key already used for another submission");
                std::cerr << "shensu-central: replay of case " << found.receipt->caseNumber << '\n';
                res.status = 200;
                res.set_content(signedAnswer(*found.receipt), "application/json");
            };
            if (auto found = store.findSubmission(key, digest);
                found.replay != CaseStore::Replay::NONE)
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
                return sendError(
                    res, 422, "envelope does not decrypt or its signature does not verify");
            }
            const auto& signers = opened.signerCommonNames;
            if (std::find(signers.begin(), signers.end(), kioskId) == signers.end()) {
                std::cerr << "shensu-central: refused an envelope from " << kioskId
                          << " (signed by another kiosk)\n";
                return sendError(res, 422, "envelope is not signed by this kiosk");
            }
            proto::SubmissionReceipt created;
            if (auto found = store.registerCase(
                    key, digest, body, kioskId, std::chrono::system_clock::now(), created);
                found.replay != CaseStore::Replay::NONE)
                return answer(found);
            std::cerr << "shensu-central: case " << created.caseNumber << " received from "
                      << kioskId << '\n';
            res.status = 201;
            res.set_content(signedAnswer(created), "application/json");
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
            const auto found = store.status(*number, *code);
            if (!found)
                return sendError(
                    res, 404, "no such case"); // same answer for a wrong code: nothing to probe
            sendJson(
                res, 200, { { "status", found->status }, { "receivedAt", found->receivedAt } });
        });

    if (auth) addAuthRoutes(server, *auth);

    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
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
