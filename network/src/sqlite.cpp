// SQLite RAII wrapper; every result code goes through Database::check.
#include <network/sqlite.hpp>

#include <climits>

#include <sqlite3.h>

namespace shensu::network::sqlite
{

bool SqliteError::isConstraint() const noexcept
{
    return (code_ & 0xff) == SQLITE_CONSTRAINT;
}

Database::Database(const std::filesystem::path& file)
{
    const int rc = sqlite3_open_v2(file.c_str(), &db_,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw SqliteError("cannot open database: " + message, rc);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
}

Database::~Database()
{
    sqlite3_close_v2(db_);
}

int Database::check(int rc, const char* what) const
{
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    throw SqliteError(std::string(what) + ": " + sqlite3_errmsg(db_), rc);
}

void Database::exec(std::string_view sql)
{
    const std::string text(sql);
    check(sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr), "exec");
}

std::int64_t Database::changes() const
{
    return sqlite3_changes64(db_);
}

Statement::Statement(Database& db, std::string_view sql)
    : db_(&db)
{
    if (sql.size() > static_cast<std::size_t>(INT_MAX))
        throw SqliteError("statement too long", SQLITE_TOOBIG);
    db.check(
        sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr),
        "prepare");
}

Statement::~Statement()
{
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_)
    , stmt_(other.stmt_)
{
    other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value)
{
    db_->check(sqlite3_bind_int64(stmt_, index, value), "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    db_->check(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
    return *this;
}

Statement& Statement::bind(int index, std::span<const unsigned char> blob)
{
    // A zero-length blob with a null pointer would bind NULL; keep it a blob.
    static const unsigned char EMPTY = 0;
    db_->check(sqlite3_bind_blob64(stmt_, index, blob.empty() ? &EMPTY : blob.data(), blob.size(),
                   SQLITE_TRANSIENT),
        "bind");
    return *this;
}

bool Statement::step()
{
    return db_->check(sqlite3_step(stmt_), "step") == SQLITE_ROW;
}

void Statement::run()
{
    while (step()) { }
}

void Statement::reset()
{
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::columnInt(int index) const
{
    return sqlite3_column_int64(stmt_, index);
}

std::string Statement::columnText(int index) const
{
    const auto* text = sqlite3_column_text(stmt_, index);
    const int len = sqlite3_column_bytes(stmt_, index);
    return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(len))
                : std::string();
}

std::vector<unsigned char> Statement::columnBlob(int index) const
{
    const auto* data = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, index));
    const int len = sqlite3_column_bytes(stmt_, index);
    return data ? std::vector<unsigned char>(data, data + len) : std::vector<unsigned char>();
}

bool Statement::columnIsNull(int index) const
{
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Transaction::Transaction(Database& db)
    : db_(db)
{
    db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction()
{
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (const SqliteError&) {
            // Nothing more to do: SQLite has already rolled back if the transaction failed on its
            // own.
        }
    }
}

void Transaction::commit()
{
    db_.exec("COMMIT");
    done_ = true;
}

} // namespace shensu::network::sqlite
