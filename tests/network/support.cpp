// Network test support (see support.hpp): forwarder configs, result collection, shapes, synthetic
// filings.
#include "support.hpp"

#include <network/protocol.hpp>
#include <network/seal.hpp>
#include <network/sqlite.hpp>

#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace shensu::testing
{

network::ForwarderConfig forwarderConfig(const std::filesystem::path& outbox, int port)
{
    network::ForwarderConfig c = kioskForwarderConfig(pkiDir(), port);
    c.outboxPath = outbox;
    c.firstRetryDelay = std::chrono::milliseconds(100);
    c.maxRetryDelay = std::chrono::milliseconds(400);
    return c;
}

void ResultLog::operator()(const network::ForwardResult& r)
{
    {
        std::lock_guard lock(mutex_);
        results_.push_back(r);
        times_.push_back(std::chrono::steady_clock::now());
    }
    changed_.notify_all();
}

std::optional<network::ForwardResult> ResultLog::waitFor(
    std::size_t n, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return results_.size() >= n; }))
        return std::nullopt;
    return results_[n - 1];
}

std::vector<std::chrono::steady_clock::time_point> ResultLog::times() const
{
    std::lock_guard lock(mutex_);
    return times_;
}

std::size_t ResultLog::size() const
{
    std::lock_guard lock(mutex_);
    return results_.size();
}

bool matchesShape(const std::string& text, const std::string& pattern)
{
    if (text.size() != pattern.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool digit = c >= '0' && c <= '9';
        const bool ok = pattern[i] == '9' ? digit
            : pattern[i] == 'x'           ? digit || (c >= 'a' && c <= 'f')
                                          : c == pattern[i];
        if (!ok) return false;
    }
    return true;
}

nlohmann::json syntheticFiling(const std::string& marker)
{
    // Answers the DGPA form allows: central checks them (RunningCentral gives it --forms).
    return { { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } },
        { "filer", { { "name", "林測試" }, { "idNumber", "Z100000001" } } },
        { "answers",
            { { "agency", "測試市政府人事處" }, { "title", "科員" }, { "name", "林測試" },
                { "identity", "civil_servant" }, { "phone", "02-23979298" },
                { "facts", "測試用的申訴內容 " + marker } } },
        { "kioskId", "KIOSK-TEST-01" } };
}

namespace
{
    Http postWith(const RunningCentral& central, const std::string& path,
        const std::filesystem::path& bodyFile, const std::vector<std::string>& headers,
        const ClientIdentity* as)
    {
        const auto& pki = pkiDir();
        const auto headerFile = bodyFile.string() + ".headers";
        std::vector<std::string> argv { "curl", "-sS", "--tlsv1.3", "--resolve", central.resolve(),
            "--cacert", (pki / "central-ca.pem").string(), "--capath", "/nonexistent",
            "--data-binary", "@" + bodyFile.string(), "-D", headerFile, "-w", "\n%{http_code}" };
        if (as) argv.insert(argv.end(), { "--cert", as->cert.string(), "--key", as->key.string() });
        for (const auto& h : headers)
            argv.insert(argv.end(), { "-H", h });
        argv.push_back(central.url() + path);
        const auto r = run(argv);
        Http http { r.exitCode, 0, nullptr, {}, readFile(headerFile) };
        const auto cut = r.output.rfind('\n');
        if (r.exitCode == 0 && cut != std::string::npos) {
            http.status = std::stoi(r.output.substr(cut + 1));
            http.raw = r.output.substr(0, cut);
            http.body = nlohmann::json::parse(http.raw, nullptr, false);
        }
        return http;
    }
} // namespace

ClientIdentity kioskIdentity(const std::string& stem)
{
    return { pkiDir() / (stem + ".pem"), pkiDir() / (stem + ".key") };
}

int loopbackListener(int backlog, int* port)
{
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, backlog) != 0
        || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("cannot listen on 127.0.0.1");
    *port = ntohs(a.sin_port);
    return s;
}

Http post(const RunningCentral& central, const std::string& path,
    const std::filesystem::path& bodyFile, const std::vector<std::string>& headers,
    bool withoutClientCert)
{
    const ClientIdentity device = kioskIdentity("kiosk-device");
    return postWith(central, path, bodyFile, headers, withoutClientCert ? nullptr : &device);
}

Http post(const RunningCentral& central, const std::string& path,
    const std::filesystem::path& bodyFile, const std::vector<std::string>& headers,
    const ClientIdentity& as)
{
    return postWith(central, path, bodyFile, headers, &as);
}

Http queryStatus(const RunningCentral& central, const std::filesystem::path& bodyFile,
    const std::string& caseNumber, const std::string& verificationCode, const ClientIdentity* as)
{
    writeFile(bodyFile,
        nlohmann::json { { "caseNumber", caseNumber }, { "verificationCode", verificationCode } }
            .dump());
    const std::vector<std::string> headers { "Content-Type: application/json" };
    return as ? post(central, "/v1/cases/status", bodyFile, headers, *as)
              : post(central, "/v1/cases/status", bodyFile, headers);
}

std::string sealFiling(const std::string& marker)
{
    const auto& pki = pkiDir();
    const network::Sealer sealer(
        pki / "kiosk-device.pem", pki / "kiosk-device.key", pki / "central-encryption.pem");
    const auto sealed = sealer.seal(network::protocol::canonicalBytes(syntheticFiling(marker)));
    return std::string(sealed.begin(), sealed.end());
}

std::string sealFiling(const nlohmann::json& filing, const network::CardSigner& cardSigner)
{
    const auto& pki = pkiDir();
    const network::Sealer sealer(
        pki / "kiosk-device.pem", pki / "kiosk-device.key", pki / "central-encryption.pem");
    const auto sealed = sealer.seal(network::protocol::canonicalBytes(filing), cardSigner);
    return std::string(sealed.begin(), sealed.end());
}

network::CardSigner softwareCardSigner(
    const std::filesystem::path& certificatePem, const std::filesystem::path& keyPem, int* calls)
{
    namespace ossl = network::openssl;
    std::shared_ptr<X509> certificate(ossl::readCertificate(certificatePem).release(), X509_free);
    std::shared_ptr<EVP_PKEY> key(ossl::readPrivateKey(keyPem).release(), EVP_PKEY_free);
    return [certificate, key, calls](std::span<const unsigned char> toBeSigned) {
        if (calls) ++*calls;
        network::CardSignature out;
        out.signature = ossl::signSha256(key.get(), toBeSigned);
        unsigned char* der = nullptr;
        const int len = i2d_X509(certificate.get(), &der);
        out.certificate.assign(der, der + len);
        OPENSSL_free(der);
        return out;
    };
}

std::vector<ArrivedFiling> arrivedFilings(const std::filesystem::path& centralDb)
{
    const auto& pki = pkiDir();
    const network::EnvelopeOpener opener(
        pki / "central-encryption.pem", pki / "central-encryption.key", pki / "kiosk-ca.pem");
    network::sqlite::Database db(centralDb);
    auto stmt = db.prepare("SELECT idempotency_key, envelope FROM cases ORDER BY rowid");
    std::vector<ArrivedFiling> out;
    while (stmt.step()) {
        const auto opened = opener.open(stmt.columnBlob(1));
        out.push_back({ stmt.columnText(0), network::protocol::parseFiling(opened.content) });
    }
    return out;
}

} // namespace shensu::testing
