// The one RAII layer over SQLite: Database, Statement and Transaction, with one choke point for
// result codes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace shensu::network::sqlite
{

class SqliteError : public std::runtime_error
{
public:
    SqliteError(const std::string& message, int code)
        : std::runtime_error(message)
        , code_(code)
    { }
    int code() const noexcept { return code_; }
    bool isConstraint() const noexcept;

private:
    int code_;
};

class Database;

class Statement
{
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::span<const unsigned char> blob);
    // True while there is a row to read; false when done.
    bool step();
    // Runs to completion, for statements without rows.
    void run();
    void reset();

    std::int64_t columnInt(int index) const;
    std::string columnText(int index) const;
    std::vector<unsigned char> columnBlob(int index) const;
    bool columnIsNull(int index) const;

private:
    Database* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class Database
{
public:
    explicit Database(const std::filesystem::path& file);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    std::int64_t changes() const;

    // The choke point: throws SqliteError("<what>: <sqlite message>") unless rc is OK/ROW/DONE.
    int check(int rc, const char* what) const;
    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; rolls back unless commit() was called.
class Transaction
{
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

} // namespace shensu::network::sqlite
