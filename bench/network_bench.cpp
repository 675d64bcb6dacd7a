// Forwarding and central throughput: sealing time per filing, store() with its fsync, the scrypt
// cost of a verification code, the outbox drain rate to central over loopback mutual TLS, and
// central's sustained filings/s and latency under concurrent kiosks. Prints a table against the
// targets of issue #5; it is never a timed test. Run: build/bin/bench_network [--seconds S]
// [--clients C] [--drain N] [--central-only]  (--central-only: the central rows alone, faster)
//
// The machine is often shared: besides filings/s it prints CPU-ms per filing (central, the
// database server, the load generator) and the CPU other processes took during each run, so a
// run under foreign load can be told from a slow central.
#include "forwarder_config.hpp"
#include "pki.hpp"
#include "postgres.hpp"
#include "proc_stat.hpp"
#include "process.hpp"
#include "verification.hpp"

#include <network/forwarder.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/receipt.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <sys/resource.h>
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

// A filing of realistic size that central's validator accepts (assets/forms): an anonymous
// filer's answers, the facts near the form's limit of 1,000 characters.
nlohmann::json benchFiling(int n)
{
    std::string facts;
    for (int i = 0; i < 40; ++i)
        facts += "測試用的申訴內容：主管於會議中多次以言語羞辱。";
    facts += " #" + std::to_string(n);
    return { { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } },
        { "answers",
            { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
                { "facts", facts } } },
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
            file("central-receipt.key"), "--db", db,
            // As deployed: the kiosks' form files, so central runs the validator on each filing.
            "--forms", (sourceDir() / "assets" / "forms").string() },
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

// Busy jiffies of the whole machine (every CPU, all but idle and iowait), in seconds.
double machineBusySeconds()
{
    std::ifstream stat("/proc/stat");
    std::string cpu;
    stat >> cpu; // "cpu": the sum over all CPUs
    double busy = 0;
    long long value = 0;
    for (int i = 0; stat >> value && i < 8; ++i)
        if (i != 3 && i != 4) busy += static_cast<double>(value); // not idle, iowait
    return busy / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of the calling thread.
double threadCpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_THREAD, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

size_t discard(char*, size_t size, size_t count, void*)
{
    return size * count;
}

// One kiosk connection posting envelopes as fast as central answers.
struct Loader {
    std::vector<double> latencies;
    int created = 0, other = 0;
    double cpuSeconds = 0; // this load thread's own CPU (curl, TLS)
};

void load(const fs::path& pki, int port, const std::vector<std::string>& envelopes,
    SteadyClock::time_point until, Loader& out)
{
    const double cpuBefore = threadCpuSeconds();
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
    out.cpuSeconds = threadCpuSeconds() - cpuBefore;
}

void row(const char* what, const std::string& measured, const char* target)
{
    std::printf("| %-62s | %-30s | %-14s |\n", what, measured.c_str(), target);
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
    bool centralOnly = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--central-only")) {
            centralOnly = true;
            continue;
        }
        if (i + 1 >= argc) break;
        if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--clients")) clients = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--drain")) drain = std::atoi(argv[i + 1]);
        ++i;
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
    for (int i = 0; i < (centralOnly ? 64 : 500); ++i) {
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
        for (int i = 0; i < (centralOnly ? 0 : 200); ++i) {
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
        for (int i = 0; i < (centralOnly ? 0 : drain); ++i) {
            const auto filing = benchFiling(i);
            const auto start = SteadyClock::now();
            offline.store(filing);
            storeMs.push_back(ms(SteadyClock::now() - start));
        }
    }

    // 2. Central's steps for one filing, one at a time on one thread (no contention): where its
    // CPU per filing goes, beside TLS, HTTP and the database.
    struct Step {
        const char* what;
        std::function<void(int)> run;
        double medianMs = 0;
    };
    const network::EnvelopeOpener opener(
        pki / "central-encryption.pem", pki / "central-encryption.key", pki / "kiosk-ca.pem");
    const network::ReceiptSigner receiptSigner(
        pki / "central-receipt.pem", pki / "central-receipt.key");
    const auto envelopeSpan = [&](int i) {
        const auto& e = envelopes[static_cast<std::size_t>(i) % envelopes.size()];
        return std::span(reinterpret_cast<const unsigned char*>(e.data()), e.size());
    };
    const auto content = opener.open(envelopeSpan(0)).content;
    std::vector<Step> steps {
        { "scrypt of the verification code (N=512, r=8)",
            [](int) { (void)central::hashVerificationCode("0123456789012347"); } },
        { "open the envelope (ECDH + AES-GCM, 2 ECDSA verify)",
            [&](int i) { (void)opener.open(envelopeSpan(i)); } },
        { "sign the receipt (ECDSA P-256)",
            [&](int i) {
                (void)receiptSigner.sign({ "1151123-" + std::to_string(i), "0123456789012347",
                    "2026-11-23T10:51:00Z", std::string(64, 'a'), network::newUuid(),
                    "KIOSK-TEST-01", "2026-11-26", "2026-12-23" });
            } },
        { "parse the filing's JSON once",
            [&](int) { (void)network::protocol::parseFiling(content); } },
        { "sha256 of the envelope (Idempotency digest)",
            [&](int i) { (void)network::openssl::sha256(envelopeSpan(i)); } },
    };
    for (auto& step : steps) {
        std::vector<double> times;
        for (int i = 0; i < 200; ++i) {
            const auto start = SteadyClock::now();
            step.run(i);
            times.push_back(ms(SteadyClock::now() - start));
        }
        step.medianMs = percentile(times, 0.5);
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
    const double drain1 = centralOnly ? 0 : drainRate(tmp / "outbox.db", 1);
    const double drain4 = centralOnly ? 0 : drainRate(tmp / "outbox4.db", 4);

    // 4. Central under `clients` concurrent kiosk connections for `seconds`: with SQLite, then
    // with PostgreSQL (a throwaway cluster from Debian's package, fsync on, on the same cores).
    struct LoadResult {
        Loader total;
        double rate = 0, centralCpuMs = 0, serverCpuMs = 0, clientCpuMs = 0, otherCores = 0;
        int fewestPerConnection = 0, mostPerConnection = 0; // a starved connection shows here
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
        const double selfBefore = cpuSeconds(getpid());
        const double busyBefore = machineBusySeconds();
        const auto start = SteadyClock::now();
        const auto until = start + std::chrono::seconds(seconds);
        for (auto& l : loaders)
            threads.emplace_back([&, lp = &l] { load(pki, c.port, envelopes, until, *lp); });
        for (auto& t : threads)
            t.join();
        const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
        const double busy = machineBusySeconds() - busyBefore;
        const double self = cpuSeconds(getpid()) - selfBefore;
        double clientCpu = 0;
        for (auto& l : loaders) {
            total.latencies.insert(total.latencies.end(), l.latencies.begin(), l.latencies.end());
            total.created += l.created;
            total.other += l.other;
            clientCpu += l.cpuSeconds;
        }
        const auto [fewest, most] = std::minmax_element(loaders.begin(), loaders.end(),
            [](const Loader& a, const Loader& b) { return a.created < b.created; });
        result.fewestPerConnection = fewest->created;
        result.mostPerConnection = most->created;
        const double perFiling = 1000.0 / std::max(1, total.created);
        result.rate = total.created / elapsed;
        const double centralCpu = cpuSeconds(c.process->pid()) - cpuBefore;
        result.centralCpuMs = centralCpu * perFiling;
        result.clientCpuMs = clientCpu * perFiling;
        c.process->signal(SIGTERM);
        c.process->wait(std::chrono::seconds(10));
        double serverCpu = 0;
        if (server) {
            // central's backends exit with its connections; the postmaster reaps them.
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            serverCpu = cpuSeconds(server, true) - serverBefore;
            result.serverCpuMs = serverCpu * perFiling;
        }
        // Everything else the machine ran meanwhile (other builds, the database's background
        // processes): cores, on average.
        result.otherCores = std::max(0.0, busy - centralCpu - serverCpu - self) / elapsed;
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

    std::printf("\n| %-62s | %-30s | %-14s |\n", "measure", "measured", "target");
    std::printf("|%s|%s|%s|\n", std::string(64, '-').c_str(), std::string(32, '-').c_str(),
        std::string(16, '-').c_str());
    if (!centralOnly) {
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
        row(("outbox drain, " + std::to_string(drain) + " filings, 1 post at a time").c_str(),
            fmt("%.0f filings/s", drain1), ">= 200/s");
        row(("outbox drain, " + std::to_string(drain) + " filings, 4 posts in flight").c_str(),
            fmt("%.0f filings/s", drain4), ">= 200/s");
    }
    for (const auto& step : steps)
        row((std::string("central step: ") + step.what).c_str(),
            fmt("median %.3f ms", step.medianMs), "-");

    // Central under load: one row per storage backend.
    std::printf("\ncentral under load: %d kiosk connections (keep-alive, mutual TLS 1.3), %d s per "
                "backend; targets >= 500 filings/s, p99 <= 50 ms\n",
        clients, seconds);
    std::printf("| %-10s | %9s | %7s | %7s | %12s | %12s | %12s | %12s | %11s |\n", "backend",
        "filings/s", "p50 ms", "p99 ms", "central CPU", "db srv CPU", "client CPU", "2-core cap.",
        "other load");
    std::printf("| %-10s | %9s | %7s | %7s | %12s | %12s | %12s | %12s | %11s |\n", "", "", "", "",
        "ms/filing", "ms/filing", "ms/filing", "filings/s", "cores");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(12, '-').c_str(),
        std::string(11, '-').c_str(), std::string(9, '-').c_str(), std::string(9, '-').c_str(),
        std::string(14, '-').c_str(), std::string(14, '-').c_str(), std::string(14, '-').c_str(),
        std::string(14, '-').c_str(), std::string(13, '-').c_str());
    const auto loadRow = [&](const char* storage, const LoadResult& r) {
        const double cpu = r.centralCpuMs + r.serverCpuMs + r.clientCpuMs;
        std::printf(
            "| %-10s | %9.0f | %7.1f | %7.1f | %12.2f | %12s | %12.2f | %12.0f | %11.2f |\n",
            storage, r.rate, percentile(r.total.latencies, 0.5),
            percentile(r.total.latencies, 0.99), r.centralCpuMs,
            r.serverCpuMs > 0 ? fmt("%.2f", r.serverCpuMs).c_str() : "(in central)", r.clientCpuMs,
            cpu > 0 ? 2000.0 / cpu : 0.0, r.otherCores);
        std::printf("  %s: filings per kiosk connection %d to %d, %d posts failed\n", storage,
            r.fewestPerConnection, r.mostPerConnection, r.total.other);
    };
    loadRow("SQLite", onSqlite);
    if (onPostgres)
        loadRow("PostgreSQL", *onPostgres);
    else
        std::printf("| %-10s | not run: %s\n", "PostgreSQL", postgresMissing.c_str());
    std::printf("\n2-core cap.: 2,000 ms / (central + database server + client CPU per filing), "
                "what two cores would sustain\nif CPU-bound; other load: CPU other processes "
                "(other builds, PostgreSQL's background\nprocesses) took during the run. The load "
                "generator, central and the database share the same %u cores.\n",
        std::thread::hardware_concurrency());
    curl_global_cleanup();
    return 0;
}
