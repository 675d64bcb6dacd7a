// A misbehaving TLS server for fault tests (see hostile_server.hpp). One connection at a time.
#include "hostile_server.hpp"

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shensu::testing
{

namespace
{
    SSL_CTX* ctxOf(void* p)
    {
        return static_cast<SSL_CTX*>(p);
    }

    // Waits until fd is readable or the server stops; false when stopping.
    bool readable(int fd, const std::atomic<bool>& stopping)
    {
        while (!stopping) {
            pollfd p { fd, POLLIN, 0 };
            if (poll(&p, 1, 50) > 0) return true;
        }
        return false;
    }
} // namespace

HostileServer::HostileServer(Behaviour behaviour, const std::filesystem::path& pki, int port,
    const std::string& serverStem, bool tls12Only)
    : behaviour_(behaviour)
{
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    ctx_ = ctx;
    SSL_CTX_set_min_proto_version(ctx, tls12Only ? TLS1_2_VERSION : TLS1_3_VERSION);
    if (tls12Only) SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    const auto cert = (pki / (serverStem + ".pem")).string();
    const auto key = (pki / (serverStem + ".key")).string();
    const auto clientCa = (pki / "kiosk-ca.pem").string();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1
        || SSL_CTX_load_verify_locations(ctx, clientCa.c_str(), nullptr) != 1)
        throw std::runtime_error("hostile server: cannot load its certificate");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // As in central: without it the client's TLS 1.3 resumption ends in internal_error.
    static const unsigned char SESSION_CONTEXT[] = "hostile";
    SSL_CTX_set_session_id_context(ctx, SESSION_CONTEXT, sizeof SESSION_CONTEXT - 1);

    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    // The real central binds this port afterwards with SO_REUSEPORT (cpp-httplib): our sockets in
    // TIME_WAIT must carry it too, or that bind fails.
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    setsockopt(listener_, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    socklen_t len = sizeof a;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
        || listen(listener_, 16) != 0
        || getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("hostile server: cannot listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
}

HostileServer::~HostileServer()
{
    stopping_ = true;
    thread_.join();
    close(listener_);
    SSL_CTX_free(ctxOf(ctx_));
}

void HostileServer::serve()
{
    while (readable(listener_, stopping_)) {
        const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        handle(fd);
        close(fd);
    }
}

void HostileServer::handle(int fd)
{
    SSL* ssl = SSL_new(ctxOf(ctx_));
    SSL_set_fd(ssl, fd);
    struct Free {
        SSL* s;
        ~Free() { SSL_free(s); }
    } freeLater { ssl };
    if (!readable(fd, stopping_) || SSL_accept(ssl) != 1) {
        ERR_clear_error();
        return;
    }
    ++handshakes_;

    // The request: headers, then Content-Length bytes of body (or part of them).
    std::string in;
    std::size_t bodyStart = std::string::npos, contentLength = 0;
    char buf[4096];
    while (true) {
        if (bodyStart != std::string::npos) {
            const std::size_t have = in.size() - bodyStart;
            if (behaviour_ == Behaviour::CUT_MID_BODY && have > 0) {
                // Drop it, mid-body: closing with unread bytes resets the connection.
                if (have < contentLength) ++cutsMidBody_;
                return;
            }
            if (have >= contentLength) break;
        }
        if (SSL_pending(ssl) == 0 && !readable(fd, stopping_)) return;
        // CUT_MID_BODY reads in small pieces so that it holds only part of the body when it cuts.
        const int want = behaviour_ == Behaviour::CUT_MID_BODY ? 64 : static_cast<int>(sizeof buf);
        const int n = SSL_read(ssl, buf, want);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
        if (bodyStart == std::string::npos) {
            const auto end = in.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            bodyStart = end + 4;
            ++requests_;
            std::string lower = in.substr(0, end);
            for (auto& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto cl = lower.find("content-length:");
            if (cl != std::string::npos) contentLength = std::stoul(lower.substr(cl + 15));
        }
    }

    std::string answer;
    switch (behaviour_) {
    case Behaviour::ANSWER_500:
        answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 21\r\nConnection: "
                 "close\r\n\r\n"
                 "{\"error\":\"internal\"}\n";
        break;
    case Behaviour::ANSWER_429:
        answer = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 20\r\n"
                 "Connection: close\r\n\r\n"
                 "{\"error\":\"limited\"}\n";
        break;
    case Behaviour::ANSWER_409:
        answer = "HTTP/1.1 409 Conflict\r\nRetry-After: 1\r\nContent-Length: 24\r\n"
                 "Connection: close\r\n\r\n"
                 "{\"error\":\"in progress\"}\n";
        break;
    case Behaviour::HANG:
        // Say nothing until the client gives up and closes (then take the next connection).
        while (!stopping_) {
            pollfd p { fd, POLLIN, 0 };
            if (poll(&p, 1, 20) > 0 && SSL_read(ssl, buf, sizeof buf) <= 0) return;
        }
        return;
    case Behaviour::CUT_MID_ANSWER:
        answer = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                 "400\r\n\r\n"
                 "{\"receipt\":\"{\\\"caseNumber\\\":";
        break;
    case Behaviour::CUT_MID_BODY:
        return;
    }
    SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
    if (behaviour_ == Behaviour::ANSWER_500 || behaviour_ == Behaviour::ANSWER_429
        || behaviour_ == Behaviour::ANSWER_409) {
        SSL_shutdown(ssl);
        // Let the client close first (Connection: close), so TIME_WAIT is on its side.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        while (std::chrono::steady_clock::now() < until && readable(fd, stopping_)
            && SSL_read(ssl, buf, sizeof buf) > 0) { }
    }
}

} // namespace shensu::testing
