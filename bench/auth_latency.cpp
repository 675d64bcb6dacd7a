// Login latency as the kiosk sees it: CentralAuth against a real shensu-central over mutual TLS
// 1.3 on loopback (one kept-alive connection). Prints p50 / p95 / max per call:
//   challenge, card login (challenge + /v1/auth/card, the signature made beforehand in software),
//   health-card login (/v1/auth/nhi, scrypt N=2^14 r=8 p=1 at central).
// Run: build/bin/bench_auth_latency [ROUNDS]   (the card itself is not in this loop: a simulated
// card's PIN + signature through pcscd costs what tests/cardio measures).
#include "forwarder_config.hpp"
#include "pki.hpp"
#include "process.hpp"

#include <network/auth_client.hpp>
#include <network/openssl.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

#include <openssl/x509.h>

using namespace shensu::testing;
namespace net = shensu::network;
using Clock = std::chrono::steady_clock;

namespace
{
std::string derOf(const std::filesystem::path& pem)
{
    const auto cert = net::openssl::readCertificate(pem);
    unsigned char* der = nullptr;
    const int len = i2d_X509(cert.get(), &der);
    if (len <= 0) throw std::runtime_error("i2d_X509");
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

std::string sign(const std::filesystem::path& keyPem, const std::string& message)
{
    const auto key = net::openssl::readPrivateKey(keyPem);
    net::openssl::MdCtxPtr md(EVP_MD_CTX_new());
    std::size_t size = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(message.data());
    if (EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1
        || EVP_DigestSign(md.get(), nullptr, &size, data, message.size()) != 1)
        throw std::runtime_error("sign");
    std::string out(size, '\0');
    if (EVP_DigestSign(
            md.get(), reinterpret_cast<unsigned char*>(out.data()), &size, data, message.size())
        != 1)
        throw std::runtime_error("sign");
    out.resize(size);
    return out;
}

void report(const char* what, std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) {
        return ms[std::min(
            ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    std::printf("| %-34s | %5zu | %7.2f | %7.2f | %7.2f |\n", what, ms.size(), at(0.5), at(0.95),
        ms.back());
}

double timed(const std::function<void()>& call)
{
    const auto start = Clock::now();
    call();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}
} // namespace

int main(int argc, char** argv)
{
    if (!std::getenv("SHENSU_BIN")) setenv("SHENSU_BIN", SHENSU_DEFAULT_BIN, 0);
    if (!std::getenv("SHENSU_SOURCE_DIR")) setenv("SHENSU_SOURCE_DIR", SHENSU_DEFAULT_SOURCE, 0);
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
    const auto& pki = pkiDir();
    TempDir dir;
    const std::string cardNumber = "000012345678", password = "Ab3456";
    {
        Process reg({ (binDir() / "shensu-central").string(), "nhi-register", "--registry",
            (dir / "nhi.json").string(), "--card-number", cardNumber, "--name", "王健保",
            "--agency", "測試區公所" });
        reg.writeLine(password);
        reg.closeStdin();
        if (reg.wait(std::chrono::seconds(20)) != 0) throw std::runtime_error("nhi-register");
    }
    const auto file = [&](const char* name) { return (pki / name).string(); };
    Process central(
        { (binDir() / "shensu-central").string(), "serve", "--listen", "127.0.0.1:0", "--cert",
            file("central-server.pem"), "--key", file("central-server.key"), "--client-ca",
            file("kiosk-ca.pem"), "--encryption-key", file("central-encryption.key"),
            "--encryption-cert", file("central-encryption.pem"), "--receipt-cert",
            file("central-receipt.pem"), "--receipt-key", file("central-receipt.key"), "--db",
            (dir / "central.db").string(), "--moica-ca", file("moica-ca.pem"), "--moica-crl",
            file("moica.crl"), "--personnel",
            (sourceDir() / "tests/central/personnel.json").string(), "--nhi-registry",
            (dir / "nhi.json").string(), "--nhi-max-failures", "1000000" },
        {}, dir / "central.log");
    const auto line = central.readLine(std::chrono::seconds(20));
    if (!line || line->rfind("listening on 127.0.0.1:", 0) != 0)
        throw std::runtime_error("central did not start");
    const std::string port = line->substr(line->rfind(':') + 1);

    net::CentralAuth auth(kioskForwarderConfig(pki, std::stoi(port)));
    const std::string der = derOf(pki / "citizen.pem");
    auth.challenge(); // the TLS handshake, outside the measurements

    std::vector<double> challenge, card, nhi;
    for (int i = 0; i < rounds; ++i) {
        challenge.push_back(timed([&] { auth.challenge(); }));
        const auto c = auth.challenge();
        const auto signature
            = sign(pki / "citizen.key", net::cardLoginMessage(c.challengeId, c.nonce));
        card.push_back(timed([&] {
            if (!auth.cardLogin(c, der, signature).ok()) throw std::runtime_error("card refused");
        }));
        nhi.push_back(timed([&] {
            if (!auth.nhiLogin(cardNumber, password).ok()) throw std::runtime_error("nhi refused");
        }));
    }
    std::printf("shensu-central /v1/auth/* over mTLS 1.3 on loopback, %d rounds (ms)\n\n", rounds);
    std::printf("| %-34s | %5s | %7s | %7s | %7s |\n", "call", "n", "p50", "p95", "max");
    std::printf("|%s|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(7, '-').c_str(),
        std::string(9, '-').c_str(), std::string(9, '-').c_str(), std::string(9, '-').c_str());
    report("POST /v1/auth/challenge", challenge);
    report("POST /v1/auth/card (ok)", card);
    report("POST /v1/auth/nhi (ok, scrypt)", nhi);
    central.signal(SIGTERM);
    central.wait(std::chrono::seconds(5));
    return 0;
}
