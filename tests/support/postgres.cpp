// A throwaway PostgreSQL cluster for tests and the benchmark (see postgres.hpp).
#include "postgres.hpp"

#include "process.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace shensu::testing
{

namespace fs = std::filesystem;

namespace
{
    fs::path pgBin()
    {
        const char* dir = std::getenv("SHENSU_PG_BIN");
        return dir ? fs::path(dir) : fs::path("/usr/lib/postgresql/15/bin");
    }

    // As root, the command runs as the `postgres` user; either way it gets SIGQUIT when the
    // thread that started it ends (a test process that dies, even by a crash, leaves no server
    // behind: SIGQUIT is postgres's immediate shutdown, SIGTERM waits for its clients).
    std::vector<std::string> asPostgres(std::vector<std::string> argv, bool dieWithParent)
    {
        std::vector<std::string> out { "/usr/bin/setpriv" };
        if (::geteuid() == 0)
            out.insert(out.end(), { "--reuid=postgres", "--regid=postgres", "--init-groups" });
        if (dieWithParent) out.push_back("--pdeathsig=QUIT");
        out.push_back("--");
        out.insert(out.end(), argv.begin(), argv.end());
        return out;
    }

    void giveToPostgres(const fs::path& path)
    {
        if (::geteuid() != 0) return;
        const passwd* pw = ::getpwnam("postgres");
        // A broken setup, not a missing package: the test fails (only missing binaries skip).
        if (!pw) throw std::runtime_error("running as root and there is no `postgres` user");
        const auto r = run({ "chown", "-R", "postgres:postgres", path.string() });
        if (r.exitCode != 0) throw std::runtime_error("chown " + path.string() + ": " + r.errors);
    }

    // The data directory every cluster of this build tree starts from: initdb once (a few
    // seconds), under a lock, then copied (a fraction of a second).
    fs::path templateDir()
    {
        const fs::path root = binDir().parent_path() / "test-postgres";
        const fs::path data = root / "template";
        fs::create_directories(root);
        const int lock = ::open((root / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock < 0 || ::flock(lock, LOCK_EX) != 0)
            throw std::runtime_error("cannot lock " + (root / "lock").string());
        struct Unlock {
            int fd;
            ~Unlock() { ::close(fd); }
        } unlock { lock };
        if (fs::exists(data / "PG_VERSION")) return data;
        const fs::path building = root / "building";
        fs::remove_all(building);
        fs::create_directories(building);
        giveToPostgres(building);
        const auto r = run(
            asPostgres({ (pgBin() / "initdb").string(), "-D", (building / "data").string(), "-U",
                           "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync" },
                false),
            std::chrono::seconds(120));
        if (r.exitCode != 0) throw std::runtime_error("initdb failed: " + r.output + r.errors);
        fs::rename(building / "data", data);
        fs::remove_all(building);
        return data;
    }
} // namespace

namespace
{
    void requireBinaries()
    {
        if (!fs::exists(pgBin() / "postgres") || !fs::exists(pgBin() / "initdb"))
            throw PostgresUnavailable("PostgreSQL is not installed (" + pgBin().string()
                + "/postgres): apt-get install postgresql-15");
    }

    // A copy of the template in dir/data, owned by postgres, dir private.
    fs::path copyTemplate(const fs::path& dir)
    {
        const fs::path source = templateDir();
        const fs::path data = dir / "data";
        const auto copied = run({ "cp", "-a", source.string(), data.string() });
        if (copied.exitCode != 0)
            throw std::runtime_error("cannot copy the cluster: " + copied.errors);
        giveToPostgres(dir);
        ::chmod(dir.c_str(), 0700);
        return data;
    }

    // No TCP at all; fsync and synchronous commits on as in production; small, for a shared VM.
    // tcpPort: also on 127.0.0.1:tcpPort (the socket file is then named after that port too).
    std::vector<std::string> serverSettings(const fs::path& socketDir, int tcpPort = 0)
    {
        if (tcpPort > 0)
            return { "-k", socketDir.string(), "-p", std::to_string(tcpPort), "-c",
                "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "synchronous_commit=on", "-c",
                "shared_buffers=32MB", "-c", "max_connections=80", "-c",
                "unix_socket_permissions=0700" };
        return { "-k", socketDir.string(), "-c", "listen_addresses=", "-c", "fsync=on", "-c",
            "synchronous_commit=on", "-c", "full_page_writes=on", "-c", "shared_buffers=32MB", "-c",
            "max_connections=80", "-c", "unix_socket_permissions=0700" };
    }

    bool ready(const fs::path& socketDir, int port = 5432)
    {
        return run({ (pgBin() / "pg_isready").string(), "-q", "-h", socketDir.string(), "-p",
                       std::to_string(port), "-U", "postgres", "-d", "postgres" },
                   std::chrono::seconds(5))
                   .exitCode
            == 0;
    }

    // SHENSU_TEST_DB=postgres:DIR: the cluster started by shensu-test-postgres in DIR.
    std::optional<fs::path> attachedDir()
    {
        const char* db = std::getenv("SHENSU_TEST_DB");
        const std::string prefix = "postgres:";
        if (!db || std::string(db).rfind(prefix, 0) != 0) return std::nullopt;
        return fs::path(std::string(db).substr(prefix.size()));
    }
} // namespace

struct PostgresCluster::Impl {
    TempDir dir; // the socket, data/, postgres.log of a cluster of this process
    fs::path socket; // dir, or the directory of an attached cluster
    int port = 5432; // of the socket file, and on 127.0.0.1 when not 5432 (withTcp)
    std::unique_ptr<Process> server; // none when attached
    fs::path log;
    std::mutex mutex;
    std::set<std::string> databases;
};

PostgresCluster::PostgresCluster()
    : PostgresCluster(0)
{ }

std::unique_ptr<PostgresCluster> PostgresCluster::withTcp(int port)
{
    return std::unique_ptr<PostgresCluster>(new PostgresCluster(port));
}

int PostgresCluster::tcpPort() const noexcept
{
    return impl_->port == 5432 ? 0 : impl_->port;
}

PostgresCluster::PostgresCluster(int tcpPort)
    : impl_(std::make_unique<Impl>())
{
    requireBinaries();
    if (const auto attached = attachedDir(); attached && tcpPort == 0) {
        // One cluster for all the test processes of a ctest run (a fixture starts and stops it):
        // each process only makes its databases there, and drops them at exit.
        impl_->socket = *attached;
        impl_->log = *attached / "postgres.log";
        if (!ready(impl_->socket))
            throw std::runtime_error(
                "no PostgreSQL cluster is running in " + impl_->socket.string());
        return;
    }
    impl_->socket = impl_->dir.path();
    if (tcpPort > 0) impl_->port = tcpPort;
    const fs::path data = copyTemplate(impl_->dir.path());
    impl_->log = impl_->dir / "postgres.log";
    std::vector<std::string> argv { (pgBin() / "postgres").string(), "-D", data.string() };
    const auto settings = serverSettings(impl_->socket, tcpPort);
    argv.insert(argv.end(), settings.begin(), settings.end());
    impl_->server = std::make_unique<Process>(
        asPostgres(argv, true), std::map<std::string, std::string> {}, impl_->log);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready(impl_->socket, impl_->port)) return;
        if (impl_->server->wait(std::chrono::milliseconds(0))) break; // it exited
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string log = readFile(impl_->log);
    impl_->server.reset();
    throw std::runtime_error("PostgreSQL did not start:\n" + log);
}

void PostgresCluster::startDetached(const fs::path& dir)
{
    requireBinaries();
    stopDetached(dir); // one left by an interrupted run
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path data = copyTemplate(dir);
    std::string options;
    for (const auto& setting : serverSettings(dir))
        options += (setting.empty() ? std::string("''") : setting) + " ";
    const auto r
        = run(asPostgres({ (pgBin() / "pg_ctl").string(), "start", "-w", "-t", "30", "-D",
                             data.string(), "-l", (dir / "postgres.log").string(), "-o", options },
                  false),
            std::chrono::seconds(40));
    if (r.exitCode != 0)
        throw std::runtime_error(
            "PostgreSQL did not start: " + r.output + r.errors + readFile(dir / "postgres.log"));
}

void PostgresCluster::stopDetached(const fs::path& dir)
{
    if (!fs::exists(dir / "data" / "postmaster.pid")) return;
    // Immediate shutdown: the data is thrown away.
    run(asPostgres({ (pgBin() / "pg_ctl").string(), "stop", "-w", "-m", "immediate", "-D",
                       (dir / "data").string() },
            false),
        std::chrono::seconds(30));
}

PostgresCluster::~PostgresCluster()
{
    if (!impl_->server) {
        // Attached: this process's databases go (the shared cluster outlives it).
        std::vector<std::string> argv { (pgBin() / "psql").string(), "-X", "-q", "-h",
            impl_->socket.string(), "-U", "postgres", "-d", "postgres" };
        for (const auto& name : impl_->databases)
            argv.insert(argv.end(), { "-c", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)" });
        if (!impl_->databases.empty()) run(argv, std::chrono::seconds(30));
        return;
    }
    // Immediate shutdown: no checkpoint (its fsyncs cost a second or more), the data is thrown
    // away.
    impl_->server->signal(SIGQUIT);
    if (!impl_->server->wait(std::chrono::seconds(10))) impl_->server->signal(SIGKILL);
    impl_->server->wait(std::chrono::seconds(5));
}

PostgresCluster& PostgresCluster::shared()
{
    static std::mutex mutex;
    static std::unique_ptr<PostgresCluster> cluster;
    std::lock_guard lock(mutex);
    if (!cluster) cluster.reset(new PostgresCluster());
    return *cluster;
}

std::string PostgresCluster::uri(const std::string& name) const
{
    return "postgresql:///" + name + "?host=" + impl_->socket.string() + "&user=postgres"
        + (impl_->port == 5432 ? "" : "&port=" + std::to_string(impl_->port));
}

const fs::path& PostgresCluster::logPath() const noexcept
{
    return impl_->log;
}

int PostgresCluster::serverPid() const noexcept
{
    return impl_->server ? impl_->server->pid() : -1;
}

std::string PostgresCluster::query(const std::string& name, const std::string& sql)
{
    const auto r = run({ (pgBin() / "psql").string(), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
        "-h", impl_->socket.string(), "-p", std::to_string(impl_->port), "-U", "postgres", "-d",
        name, "-c", sql });
    if (r.exitCode != 0) throw std::runtime_error("psql: " + sql + ": " + r.errors);
    return r.output;
}

std::string PostgresCluster::createDatabase(const std::string& name)
{
    std::lock_guard lock(impl_->mutex);
    if (impl_->databases.insert(name).second) query("postgres", "CREATE DATABASE " + name);
    return uri(name);
}

std::string PostgresCluster::dump(const std::string& name)
{
    const auto r = run({ (pgBin() / "pg_dump").string(), "-h", impl_->socket.string(), "-p",
        std::to_string(impl_->port), "-U", "postgres", name });
    if (r.exitCode != 0) throw std::runtime_error("pg_dump: " + r.errors);
    return r.output;
}

bool testingPostgres()
{
    const char* db = std::getenv("SHENSU_TEST_DB");
    return db && (std::string(db) == "postgres" || attachedDir());
}

namespace
{
    // A database name for a path: "t" and 16 hex digits of an FNV-1a hash.
    std::string databaseName(const fs::path& file)
    {
        std::uint64_t hash = 14695981039346656037ULL;
        for (const char c : fs::absolute(file).lexically_normal().string()) {
            hash ^= static_cast<unsigned char>(c);
            hash *= 1099511628211ULL;
        }
        char name[24];
        std::snprintf(name, sizeof name, "t%016llx", static_cast<unsigned long long>(hash));
        return name;
    }
} // namespace

std::string centralDb(const fs::path& file)
{
    if (!testingPostgres()) return file.string();
    try {
        return PostgresCluster::shared().createDatabase(databaseName(file));
    } catch (const PostgresUnavailable& e) {
        // The one reason to skip (ctest: SKIP_RETURN_CODE 77); anything else fails the test.
        std::fprintf(stderr, "SKIP: %s\n", e.what());
        std::fflush(stderr);
        std::_Exit(77);
    }
}

bool centralDbContains(const fs::path& file, const std::string& text)
{
    if (!testingPostgres())
        return fileContains(file, text) || fileContains(file.string() + "-wal", text);
    // pg_dump writes bytea as hex (\x...): the text's bytes are looked for in that form too.
    const std::string dump = PostgresCluster::shared().dump(databaseName(file));
    std::string hex;
    for (const char c : text) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", static_cast<unsigned char>(c));
        hex += pair;
    }
    return dump.find(text) != std::string::npos || dump.find(hex) != std::string::npos;
}

QueryResult queryCentralDb(const fs::path& file, const std::string& sql)
{
    if (!testingPostgres()) {
        const auto r = run({ "sqlite3", file.string(), sql });
        return { r.exitCode == 0, r.output };
    }
    return { true, PostgresCluster::shared().query(databaseName(file), sql) };
}

} // namespace shensu::testing
