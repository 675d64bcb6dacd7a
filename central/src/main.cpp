// shensu-central: `serve` (the mutual-TLS submissions service) and `cases` (list the case
// register).
#include "case_admin.hpp"
#include "case_store.hpp"
#include "server.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

namespace
{

int usage()
{
    std::cerr
        << "usage: shensu-central serve --listen HOST:PORT --cert F --key F --client-ca F\n"
           "                            --encryption-key F --encryption-cert F\n"
           "                            --receipt-cert F --receipt-key F --db DB\n"
           "                            [--workflow F] [--forms DIR] [--processing-delay-ms N]\n"
           "                            [--previous-encryption-key F]\n"
           "                            [--lease-block N] [--lease-hours H]\n"
           "                            [--lease-refill-below N] [--lease-delay-ms N]\n"
           "                            [--moica-ca F --moica-crl F --personnel F\n"
           "                             [--nhi-registry F] [--nhi-max-failures N]\n"
           "                             [--challenge-seconds S] [--nhi-key F]]\n"
           "       shensu-central cases --db DB\n"
           "       shensu-central kiosks --db DB\n"
           "       shensu-central leases --db DB\n"
           "       shensu-central case show|advance|extend --db DB CASE ...\n"
           "       shensu-central nhi-register --registry F --card-number N --name X "
           "--agency Y\n"
           "                            (the password is read from stdin, one line)\n"
           "DB: a SQLite file, or a PostgreSQL URI postgresql://… for a fleet of centrals\n"
           "(then --nhi-key F names the health-card counters' key file, the same on each)\n";
    return 2;
}

// --name value pairs; false if anything else appears or a value is missing.
bool parseFlags(int argc, char** argv, std::map<std::string, std::string>& flags)
{
    for (int i = 2; i < argc; i += 2) {
        if (std::strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) return false;
        flags[argv[i] + 2] = argv[i + 1];
    }
    return true;
}

// Adds (or replaces) one card in the NHI registry file; the password comes from stdin so that it
// never shows in a process list or a shell history.
bool registerNhiCard(const std::map<std::string, std::string>& flags)
{
    const auto get = [&](const char* name) {
        const auto it = flags.find(name);
        return it == flags.end() ? std::string() : it->second;
    };
    const std::filesystem::path registry = get("registry");
    const std::string number = get("card-number"), name = get("name"), agency = get("agency");
    if (flags.size() != 4 || registry.empty() || name.empty() || agency.empty()
        || !shensu::central::validCardNumber(number))
        return false;
    std::string password;
    std::getline(std::cin, password);
    if (!shensu::central::validNhiPassword(password)) {
        std::cerr << "shensu-central: the password must be 6-12 printable ASCII characters\n";
        OPENSSL_cleanse(password.data(), password.size());
        return false;
    }
    nlohmann::json json = { { "cards", nlohmann::json::object() } };
    if (std::filesystem::exists(registry)) {
        std::ifstream in(registry);
        json = nlohmann::json::parse(in);
    }
    json["cards"][number] = shensu::central::NhiRegistry::makeEntry(password, name, agency);
    OPENSSL_cleanse(password.data(), password.size());
    // Owner-only, synced, then renamed into place (and the directory synced): the file holds
    // password hashes, and a crash must leave the old registry or the new one, never half.
    const auto temporary = registry.string() + ".new";
    const std::string text = json.dump(2) + '\n';
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const bool written = fd >= 0 && ::fchmod(fd, 0600) == 0
        && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())
        && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!written) throw std::runtime_error("cannot write " + temporary);
    std::filesystem::rename(temporary, registry);
    const auto dir = registry.has_parent_path() ? registry.parent_path() : ".";
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) return usage();
    const std::string command = argv[1];
    if (command == "case") {
        try {
            return shensu::central::caseCommand(argc - 2, argv + 2);
        } catch (const std::exception& e) {
            std::cerr << "shensu-central: " << e.what() << '\n';
            return 1;
        }
    }
    std::map<std::string, std::string> flags;
    if (!parseFlags(argc, argv, flags)) return usage();
    auto need = [&](const char* name) -> const std::string& {
        static const std::string none;
        const auto it = flags.find(name);
        return it == flags.end() ? none : it->second;
    };

    try {
        if (command == "kiosks") {
            if (need("db").empty() || flags.size() != 1) return usage();
            shensu::central::openCaseStorage(need("db"), {}, false)->listKiosks(std::cout);
            return 0;
        }
        if (command == "leases") {
            if (need("db").empty() || flags.size() != 1) return usage();
            shensu::central::openCaseStorage(need("db"), {}, false)->listLeases(std::cout);
            return 0;
        }
        if (command == "cases") {
            if (need("db").empty() || flags.size() != 1) return usage();
            // create false: don't create an empty register by a typo
            shensu::central::openCaseStorage(need("db"), {}, false)->listCases(std::cout);
            return 0;
        }
        if (command == "nhi-register") return registerNhiCard(flags) ? 0 : usage();
        if (command == "serve") {
            shensu::central::ServeOptions o;
            const std::string& listen = need("listen");
            const auto colon = listen.rfind(':');
            if (colon == std::string::npos) return usage();
            std::size_t known = 9 + flags.count("workflow") + flags.count("forms")
                + flags.count("processing-delay-ms") + flags.count("previous-encryption-key")
                + flags.count("lease-block") + flags.count("lease-hours")
                + flags.count("lease-refill-below") + flags.count("lease-delay-ms");
            if (flags.contains("moica-ca")) {
                shensu::central::AuthOptions auth;
                auth.moicaCa = need("moica-ca");
                auth.moicaCrl = need("moica-crl");
                auth.personnel = need("personnel");
                auth.nhiRegistry = need("nhi-registry");
                auth.assertionCert = need("receipt-cert"); // health-card logins' assertions
                auth.assertionKey = need("receipt-key");
                if (auth.moicaCrl.empty() || auth.personnel.empty()) return usage();
                known += flags.contains("nhi-registry") ? 4U : 3U;
                if (flags.contains("nhi-max-failures")) {
                    auth.nhiMaxFailures = std::stoi(need("nhi-max-failures"));
                    if (auth.nhiMaxFailures < 1) return usage();
                    ++known;
                }
                if (flags.contains("challenge-seconds")) {
                    auth.challengeLifetime
                        = std::chrono::seconds(std::stoi(need("challenge-seconds")));
                    if (auth.challengeLifetime.count() < 1) return usage();
                    ++known;
                }
                if (flags.contains("nhi-key")) {
                    auth.nhiKey = need("nhi-key");
                    ++known;
                } else if (shensu::central::isPostgresUri(need("db"))) {
                    std::cerr << "shensu-central: --nhi-key is required with a PostgreSQL "
                                 "database\n";
                    return usage();
                }
                o.auth = auth;
            }
            if (flags.size() != known) return usage();
            o.host = listen.substr(0, colon);
            o.port = std::stoi(listen.substr(colon + 1));
            o.cert = need("cert");
            o.key = need("key");
            o.clientCa = need("client-ca");
            o.encryptionKey = need("encryption-key");
            o.encryptionCert = need("encryption-cert");
            o.receiptCert = need("receipt-cert");
            o.receiptKey = need("receipt-key");
            o.db = need("db");
            o.workflow = need("workflow");
            o.forms = need("forms");
            o.previousEncryptionKey = need("previous-encryption-key");
            if (flags.count("processing-delay-ms"))
                o.processingDelayMs = std::stoi(need("processing-delay-ms"));
            if (flags.count("lease-block")) o.lease.blockSize = std::stoi(need("lease-block"));
            if (flags.count("lease-hours"))
                o.lease.lifetime = std::chrono::hours(std::stoi(need("lease-hours")));
            if (flags.count("lease-refill-below"))
                o.lease.refillBelow = std::stoi(need("lease-refill-below"));
            if (flags.count("lease-delay-ms"))
                o.lease.countedDelay = std::chrono::milliseconds(std::stoi(need("lease-delay-ms")));
            if (o.lease.blockSize < 1 || o.lease.blockSize > 1000 || o.lease.lifetime.count() < 1
                || o.lease.refillBelow < 0)
                return usage();
            if (o.port < 0 || o.port > 65535 || o.cert.empty() || o.key.empty()
                || o.clientCa.empty() || o.encryptionKey.empty() || o.encryptionCert.empty()
                || o.receiptCert.empty() || o.receiptKey.empty() || o.db.empty())
                return usage();
            return shensu::central::serve(o);
        }
    } catch (const std::exception& e) {
        std::cerr << "shensu-central: " << e.what() << '\n';
        return 1;
    }
    return usage();
}
