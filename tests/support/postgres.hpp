// A throwaway PostgreSQL cluster from Debian's postgresql-15 package, for running central's tests
// and bench_network against its PostgreSQL storage: one cluster per process, started on first use
// (a data directory copied from a template made once per build tree by initdb), listening only on
// a unix socket in a private temp dir, fsync on; stopped when the process exits (and, through
// PR_SET_PDEATHSIG, when the thread that first used it ends: first use it from the test's or the
// program's main thread). Under ctest the -pg registrations share one cluster per test binary
// instead (SHENSU_TEST_DB=postgres:DIR, started and stopped by a fixture: shensu-test-postgres),
// saving each test the cluster's start. As root, postgres runs as the `postgres` user (it refuses
// root). SHENSU_PG_BIN overrides the binaries' directory (default /usr/lib/postgresql/15/bin).
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace shensu::testing
{

// The binaries are not installed (the only reason a PostgreSQL test may skip).
class PostgresUnavailable : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class PostgresCluster
{
public:
    // The cluster of this process (started on the first call). Throws PostgresUnavailable, or
    // std::runtime_error if it does not start.
    static PostgresCluster& shared();
    ~PostgresCluster(); // immediate shutdown
    PostgresCluster(const PostgresCluster&) = delete;
    PostgresCluster& operator=(const PostgresCluster&) = delete;

    // A new empty database; returns its URI (postgresql:///NAME?host=SOCKETDIR&user=postgres).
    std::string createDatabase(const std::string& name);
    std::string uri(const std::string& name) const;
    // psql -At -c sql on database name: the output, throws on failure.
    std::string query(const std::string& name, const std::string& sql);
    // pg_dump of database name (plain SQL, data included).
    std::string dump(const std::string& name);
    const std::filesystem::path& logPath() const noexcept;
    // The postmaster (its CPU time with its reaped children is the cluster's: bench_network);
    // -1 for an attached cluster.
    int serverPid() const noexcept;

    // A cluster for many processes (shensu-test-postgres, a ctest fixture): started in dir
    // (socket, data/, postgres.log) and left running; stopped (immediate shutdown) by
    // stopDetached. Processes with SHENSU_TEST_DB=postgres:DIR attach to it instead of starting
    // their own, and drop the databases they made when they exit.
    static void startDetached(const std::filesystem::path& dir);
    // A cluster of its own (never the attached one) that also listens on 127.0.0.1:port, for a
    // test that needs central on TCP; stopped when the object goes.
    static std::unique_ptr<PostgresCluster> withTcp(int port);
    int tcpPort() const noexcept; // 0 without TCP
    static void stopDetached(const std::filesystem::path& dir);

private:
    PostgresCluster();
    explicit PostgresCluster(int tcpPort);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// SHENSU_TEST_DB=postgres (a cluster of this process) or postgres:DIR (the cluster running in
// DIR, PostgresCluster::startDetached): the tests of central run against PostgreSQL (else SQLite).
bool testingPostgres();
// The --db of a central whose SQLite register would be `file`: the file itself, or under
// SHENSU_TEST_DB=postgres the URI of a database of the shared cluster named after the path
// (created on first use, so that the same path is the same database again, and a test case's
// fresh TempDir a fresh database). Without PostgreSQL installed, the process exits 77 (skipped).
std::string centralDb(const std::filesystem::path& file);
// Does central's stored data contain `text`? The SQLite file and its WAL, or a pg_dump (the text
// itself, or its bytes in hex as pg_dump writes bytea).
bool centralDbContains(const std::filesystem::path& file, const std::string& text);
// One SQL query on central's database (sqlite3 CLI or psql), output one row a line, fields
// separated by '|'; nullopt-like empty result with ok false if the tool is missing.
struct QueryResult {
    bool ok = false;
    std::string output;
};
QueryResult queryCentralDb(const std::filesystem::path& file, const std::string& sql);

} // namespace shensu::testing
