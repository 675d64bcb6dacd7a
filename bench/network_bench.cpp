// Forwarding and central throughput: sealing time per filing, store() with its fsync, the scrypt
// cost of a verification code, the outbox drain rate to central over loopback mutual TLS, and
// central's sustained filings/s and latency under concurrent kiosks. Prints a table against the
// targets of issue #5; it is never a timed test. Run: build/bin/bench_network [--seconds S]
// [--clients C] [--drain N]
#include "forwarder_config.hpp"
#include "pki.hpp"
#include "postgres.hpp"
#include "proc_stat.hpp"
#include "process.hpp"
#include "verification.hpp"

#include <network/forwarder.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <unistd.h>

using namespace shensu;
using namespace shensu::testing;
using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace
{

double ms(SteadyClock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

// A filing of realistic size: the form's fields with ~1,500 characters of facts.
nlohmann::json benchFiling(int n)
{
    std::string facts;
    for (int i = 0; i < 60; ++i)
        facts += "測試用的申訴內容：主管於會議中多次以言語羞辱。";
    return { { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } },
        { "answers",
            { { "agency", "測試市政府人事處" }, { "title", "科員" }, { "name", "林測試" },
                { "identity", "civil_servant" }, { "phone", "02-23979298" }, { "facts", facts },
                { "n", n } } },
        // Anonymous: central takes a health-card filer only with its login's identity assertion.
        { "filer", "anonymous" }, { "kioskId", "KIOSK-TEST-01" },
        { "createdAt", "2026-11-23T10:51:00Z" } };
}

struct Central {
    std::unique_ptr<Process> process;
    int port = 0;
};

// db: a SQLite file or a PostgreSQL URI; central's stderr goes to log (default db + ".log").
Central startCentral(const fs::path& pki, const std::string& db, int port = 0, fs::path log = {})
{
    const auto file = [&](const char* name) { return (pki / name).string(); };
    Central c;
    c.process = std::make_unique<Process>(
        std::vector<std::string> { (binDir() / "shensu-central").string(), "serve", "--listen",
            "127.0.0.1:" + std::to_string(port), "--cert", file("central-server.pem"), "--key",
            file("central-server.key"), "--client-ca", file("kiosk-ca.pem"), "--encryption-key",
            file("central-encryption.key"), "--encryption-cert", file("central-encryption.pem"),
            "--receipt-cert", file("central-receipt.pem"), "--receipt-key",
            file("central-receipt.key"), "--db", db },
        std::map<std::string, std::string> {}, log.empty() ? fs::path(db + ".log") : log);
    const std::string prefix = "listening on 127.0.0.1:";
    while (const auto line = c.process->readLine(std::chrono::seconds(20))) {
        if (line->starts_with(prefix)) {
            c.port = std::stoi(line->substr(prefix.size()));
            return c;
        }
    }
    throw std::runtime_error("central did not start");
}

network::ForwarderConfig forwarderConfig(const fs::path& pki, const fs::path& outbox, int port)
{
    network::ForwarderConfig c = kioskForwarderConfig(pki, port);
    c.outboxPath = outbox;
    c.firstRetryDelay = std::chrono::seconds(60); // offline phases: don't spin
    c.maxRetryDelay = std::chrono::seconds(60);
    return c;
}

using shensu::bench::cpuSeconds;

size_t discard(char*, size_t size, size_t count, void*)
{
    return size * count;
}

// One kiosk connection posting envelopes as fast as central answers.
struct Loader {
    std::vector<double> latencies;
    int created = 0, other = 0;
};

void load(const fs::path& pki, int port, const std::vector<std::string>& envelopes,
    SteadyClock::time_point until, Loader& out)
{
    CURL* curl = curl_easy_init();
    const std::string url = "https://central.shensu.test:" + std::to_string(port)
        + std::string(network::protocol::SUBMISSIONS_PATH);
    curl_slist* resolve = curl_slist_append(
        nullptr, ("central.shensu.test:" + std::to_string(port) + ":127.0.0.1").c_str());
    const auto ca = (pki / "central-ca.pem").string(), cert = (pki / "kiosk-device.pem").string(),
               key = (pki / "kiosk-device.key").string();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_3);
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLCERT, cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, key.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discard);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 15000L);
    for (std::size_t i = 0; SteadyClock::now() < until; ++i) {
        const std::string& envelope = envelopes[i % envelopes.size()];
        curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/cms");
        headers = curl_slist_append(headers, ("Idempotency-Key: " + network::newUuid()).c_str());
        headers = curl_slist_append(headers, "Expect:");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, envelope.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(envelope.size()));
        const auto start = SteadyClock::now();
        const CURLcode rc = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(headers);
        if (rc == CURLE_OK && status == 201) {
            out.latencies.push_back(ms(SteadyClock::now() - start));
            ++out.created;
        } else {
            ++out.other;
        }
    }
    curl_slist_free_all(resolve);
    curl_easy_cleanup(curl);
}

void row(const char* what, const std::string& measured, const char* target)
{
    std::printf("| %-46s | %-30s | %-14s |\n", what, measured.c_str(), target);
}

__attribute__((format(printf, 1, 2))) std::string fmt(const char* format, ...)
{
    char text[128];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    return text;
}

} // namespace

int main(int argc, char** argv)
{
    setenv("SHENSU_BIN", SHENSU_DEFAULT_BIN, 0);
    setenv("SHENSU_SOURCE_DIR", SHENSU_DEFAULT_SOURCE, 0);
    int seconds = 10, clients = 8, drain = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--clients")) clients = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--drain")) drain = std::atoi(argv[i + 1]);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    TempDir tmp;
    const auto pki = tmp / "pki";
    makeTestPki(pki);
    std::printf("bench_network: %u hardware threads; filing of %zu bytes canonical\n",
        std::thread::hardware_concurrency(),
        network::protocol::canonicalBytes(benchFiling(0)).size());

    // 1. Sealing alone, then store() = seal + one durable SQLite insert (fsync).
    const network::Sealer sealer(
        pki / "kiosk-device.pem", pki / "kiosk-device.key", pki / "central-encryption.pem");
    std::vector<double> sealMs;
    std::vector<std::string> envelopes;
    for (int i = 0; i < 500; ++i) {
        const auto bytes = network::protocol::canonicalBytes(benchFiling(i));
        const auto start = SteadyClock::now();
        const auto sealed = sealer.seal(bytes);
        sealMs.push_back(ms(SteadyClock::now() - start));
        if (envelopes.size() < 64) envelopes.emplace_back(sealed.begin(), sealed.end());
    }
    // 1b. Sealing with a card signer: the citizen card's RSA-2048 key in software (the CMS work
    // of the second SignerInfo; a real card's C_Sign, hundreds of ms, is not in this number).
    std::vector<double> cardSealMs;
    {
        std::shared_ptr<X509> cardCert(
            network::openssl::readCertificate(pki / "citizen.pem").release(), X509_free);
        std::shared_ptr<EVP_PKEY> cardKey(
            network::openssl::readPrivateKey(pki / "citizen.key").release(), EVP_PKEY_free);
        const network::CardSigner card = [&](std::span<const unsigned char> toBeSigned) {
            network::CardSignature out;
            out.signature = network::openssl::signSha256(cardKey.get(), toBeSigned);
            unsigned char* der = nullptr;
            const int len = i2d_X509(cardCert.get(), &der);
            out.certificate.assign(der, der + len);
            OPENSSL_free(der);
            return out;
        };
        for (int i = 0; i < 200; ++i) {
            const auto bytes = network::protocol::canonicalBytes(benchFiling(i));
            const auto start = SteadyClock::now();
            const auto sealed = sealer.seal(bytes, card);
            cardSealMs.push_back(ms(SteadyClock::now() - start));
        }
    }
    std::vector<double> storeMs;
    {
        network::Forwarder offline(
            forwarderConfig(pki, tmp / "outbox.db", 1) /* nobody listens */, nullptr);
        for (int i = 0; i < drain; ++i) {
            const auto filing = benchFiling(i);
            const auto start = SteadyClock::now();
            offline.store(filing);
            storeMs.push_back(ms(SteadyClock::now() - start));
        }
    }

    // 2. The slow hash central pays per filing.
    std::vector<double> scryptMs;
    for (int i = 0; i < 100; ++i) {
        const auto start = SteadyClock::now();
        (void)central::hashVerificationCode("0123456789012347");
        scryptMs.push_back(ms(SteadyClock::now() - start));
    }

    // 3. Drain: the filings stored above, to a fresh central, by one forwarder posting one at a
    // time, then (a second copy of the outbox) with 4 posts in flight.
    fs::copy_file(tmp / "outbox.db", tmp / "outbox4.db");
    if (fs::exists(tmp / "outbox.db-wal"))
        fs::copy_file(tmp / "outbox.db-wal", tmp / "outbox4.db-wal");
    auto drainRate = [&](const fs::path& outbox, int parallel) {
        auto c = startCentral(pki, (tmp / ("drain" + std::to_string(parallel) + ".db")).string());
        auto config = forwarderConfig(pki, outbox, c.port);
        config.parallelPosts = parallel;
        const auto start = SteadyClock::now();
        double rate = 0;
        {
            network::Forwarder forwarder(config, nullptr);
            while (forwarder.pendingCount() > 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            rate = drain / std::chrono::duration<double>(SteadyClock::now() - start).count();
        }
        c.process->signal(SIGTERM);
        c.process->wait(std::chrono::seconds(10));
        return rate;
    };
    const double drain1 = drainRate(tmp / "outbox.db", 1);
    const double drain4 = drainRate(tmp / "outbox4.db", 4);

    // 4. Central under `clients` concurrent kiosk connections for `seconds`: with SQLite, then
    // with PostgreSQL (a throwaway cluster from Debian's package, fsync on, on the same cores).
    struct LoadResult {
        Loader total;
        double rate = 0, centralCpuMs = 0, serverCpuMs = 0;
    };
    // server: PostgreSQL's postmaster, or 0 (SQLite runs inside central).
    auto loadCentral = [&](const std::string& db, pid_t server) {
        LoadResult result;
        auto& total = result.total;
        auto c = startCentral(pki, db, 0, tmp / "load.log");
        std::vector<Loader> loaders(static_cast<std::size_t>(clients));
        std::vector<std::thread> threads;
        const double cpuBefore = cpuSeconds(c.process->pid());
        const double serverBefore = server ? cpuSeconds(server, true) : 0;
        const auto start = SteadyClock::now();
        const auto until = start + std::chrono::seconds(seconds);
        for (auto& l : loaders)
            threads.emplace_back([&, lp = &l] { load(pki, c.port, envelopes, until, *lp); });
        for (auto& t : threads)
            t.join();
        const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
        for (auto& l : loaders) {
            total.latencies.insert(total.latencies.end(), l.latencies.begin(), l.latencies.end());
            total.created += l.created;
            total.other += l.other;
        }
        result.rate = total.created / elapsed;
        result.centralCpuMs
            = (cpuSeconds(c.process->pid()) - cpuBefore) * 1000.0 / std::max(1, total.created);
        c.process->signal(SIGTERM);
        c.process->wait(std::chrono::seconds(10));
        if (server) {
            // central's backends exit with its connections; the postmaster reaps them.
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            result.serverCpuMs
                = (cpuSeconds(server, true) - serverBefore) * 1000.0 / std::max(1, total.created);
        }
        return result;
    };
    const LoadResult onSqlite = loadCentral((tmp / "load.db").string(), 0);
    std::optional<LoadResult> onPostgres;
    std::string postgresMissing;
    try {
        auto& cluster = PostgresCluster::shared();
        onPostgres = loadCentral(cluster.createDatabase("bench_load"), cluster.serverPid());
    } catch (const PostgresUnavailable& e) {
        postgresMissing = e.what();
    }

    std::printf("\n| %-46s | %-30s | %-14s |\n", "measure", "measured", "target");
    std::printf("|%s|%s|%s|\n", std::string(48, '-').c_str(), std::string(32, '-').c_str(),
        std::string(16, '-').c_str());
    row("seal one filing (sign + AuthEnvelopedData)",
        fmt("median %.2f ms, p99 %.2f ms", percentile(sealMs, 0.5), percentile(sealMs, 0.99)),
        "median <= 20 ms");
    row("sealing with a card signer (software key)",
        fmt("median %.2f ms, p99 %.2f ms", percentile(cardSealMs, 0.5),
            percentile(cardSealMs, 0.99)),
        "-");
    row("store() = seal + durable outbox insert",
        fmt("median %.2f ms, p99 %.2f ms", percentile(storeMs, 0.5), percentile(storeMs, 0.99)),
        "median <= 20 ms");
    row("scrypt of a verification code (N=512,r=8)",
        fmt("median %.2f ms", percentile(scryptMs, 0.5)), "-");
    row(("outbox drain, " + std::to_string(drain) + " filings, 1 post at a time").c_str(),
        fmt("%.0f filings/s", drain1), ">= 200/s");
    row(("outbox drain, " + std::to_string(drain) + " filings, 4 posts in flight").c_str(),
        fmt("%.0f filings/s", drain4), ">= 200/s");
    const auto loadRows = [&](const char* storage, const LoadResult& r) {
        row(("central, " + std::to_string(clients) + " kiosks, " + std::to_string(seconds) + " s, "
                + storage)
                .c_str(),
            fmt("%.0f filings/s (%d failed)", r.rate, r.total.other), ">= 500/s");
        row((std::string("central latency per filing, ") + storage).c_str(),
            fmt("p50 %.1f ms, p99 %.1f ms", percentile(r.total.latencies, 0.5),
                percentile(r.total.latencies, 0.99)),
            "p99 <= 50 ms");
        row((std::string("central process CPU per filing, ") + storage).c_str(),
            fmt("%.2f ms", r.centralCpuMs), "-");
        if (r.serverCpuMs > 0)
            row((std::string("database server CPU per filing, ") + storage).c_str(),
                fmt("%.2f ms", r.serverCpuMs), "-");
    };
    loadRows("SQLite", onSqlite);
    if (onPostgres)
        loadRows("PostgreSQL", *onPostgres);
    else
        row(("central, " + std::to_string(clients) + " kiosks, PostgreSQL").c_str(),
            "not run: " + postgresMissing, ">= 500/s");
    std::printf("\n(load generator, curl clients and central share the same %u cores)\n",
        std::thread::hardware_concurrency());
    curl_global_cleanup();
    return 0;
}
