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
        HANG, // reads the whole request, never answers (until stopped)
        CUT_MID_BODY, // reads the headers and part of the body, then drops the connection
        CUT_MID_ANSWER, // reads the request, sends half a 201 answer, then drops the connection
    };
    // port 0: any free port. serverCert/serverKey default to central's.
    HostileServer(Behaviour behaviour, const std::filesystem::path& pki, int port = 0,
        const std::string& serverStem = "central-server");
    ~HostileServer(); // stops and frees the port
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;

    int port() const noexcept { return port_; }
    // Requests whose headers arrived, and TLS handshakes completed.
    int requests() const noexcept { return requests_; }
    int handshakes() const noexcept { return handshakes_; }

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
    std::thread thread_;
};

} // namespace shensu::testing
