// A small misbehaving "central" for fault tests: a real TLS 1.3 server with central's certificate
// that demands the kiosk's client certificate (as central does), reads the request, then fails in
// one chosen way.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

namespace shensu::testing
{

class HostileServer
{
public:
    enum class Behaviour {
        ANSWER_500, // reads the whole request, answers 500
        ANSWER_429, // reads the whole request, answers 429 with Retry-After: 2
        ANSWER_409, // reads the whole request, answers 409 with Retry-After: 1 (as central does)
        HANG, // reads the whole request, never answers (until stopped)
        // reads the headers and only part of the body (64-byte reads), then drops the connection
        // with the rest unread (a reset); cutsMidBody() counts these cuts
        CUT_MID_BODY,
        CUT_MID_ANSWER, // reads the request, sends half a 201 answer, then drops the connection
    };
    // port 0: any free port. serverCert/serverKey default to central's. tls12Only: the server
    // speaks TLS 1.2 and nothing else (a downgraded or outdated "central").
    HostileServer(Behaviour behaviour, const std::filesystem::path& pki, int port = 0,
        const std::string& serverStem = "central-server", bool tls12Only = false);
    ~HostileServer(); // stops and frees the port
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;

    int port() const noexcept { return port_; }
    // Requests whose headers arrived, and TLS handshakes completed.
    int requests() const noexcept { return requests_; }
    int handshakes() const noexcept { return handshakes_; }
    // Connections dropped by CUT_MID_BODY with fewer body bytes read than Content-Length.
    int cutsMidBody() const noexcept { return cutsMidBody_; }

private:
    void serve();
    void handle(int fd);

    Behaviour behaviour_;
    void* ctx_ = nullptr; // SSL_CTX
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_ { false };
    std::atomic<int> requests_ { 0 };
    std::atomic<int> handshakes_ { 0 };
    std::atomic<int> cutsMidBody_ { 0 };
    std::thread thread_;
};

} // namespace shensu::testing
