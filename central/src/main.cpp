// shensu-central: `serve` (the mutual-TLS submissions service) and `cases` (list the case
// register).
#include "case_admin.hpp"
#include "case_store.hpp"
#include "server.hpp"

#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

namespace
{

int usage()
{
    std::cerr << "usage: shensu-central serve --listen HOST:PORT --cert F --key F --client-ca F\n"
                 "                            --encryption-key F --encryption-cert F\n"
                 "                            --receipt-cert F --receipt-key F --db F\n"
                 "                            [--workflow F] [--processing-delay-ms N]\n"
                 "                            [--previous-encryption-key F]\n"
                 "       shensu-central cases --db F\n"
                 "       shensu-central kiosks --db F\n"
                 "       shensu-central case show|advance|extend --db F CASE ...\n";
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
            if (!std::filesystem::exists(need("db"))) {
                std::cerr << "shensu-central: no case database at " << need("db") << '\n';
                return 1;
            }
            shensu::central::CaseStore(need("db")).listKiosks(std::cout);
            return 0;
        }
        if (command == "cases") {
            if (need("db").empty() || flags.size() != 1) return usage();
            if (!std::filesystem::exists(need("db"))) { // don't create an empty register by a typo
                std::cerr << "shensu-central: no case database at " << need("db") << '\n';
                return 1;
            }
            shensu::central::CaseStore(need("db")).listCases(std::cout);
            return 0;
        }
        if (command == "serve") {
            shensu::central::ServeOptions o;
            const std::string& listen = need("listen");
            const auto colon = listen.rfind(':');
            const std::size_t optional = flags.count("workflow")
                + flags.count("processing-delay-ms") + flags.count("previous-encryption-key");
            if (colon == std::string::npos || flags.size() != 9 + optional) return usage();
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
            o.previousEncryptionKey = need("previous-encryption-key");
            if (flags.count("processing-delay-ms"))
                o.processingDelayMs = std::stoi(need("processing-delay-ms"));
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
