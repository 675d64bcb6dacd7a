// shensu-central serve: the mutual-TLS HTTP service that receives sealed filings.
#pragma once

#include "auth.hpp"
#include "case_store.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace shensu::central
{

struct ServeOptions {
    std::string host = "127.0.0.1";
    int port = 0; // 0: pick a free port
    std::filesystem::path cert, key, clientCa, encryptionKey, encryptionCert, receiptCert,
        receiptKey, db;
    // The encryption key before a rotation: only to open receipts stored under it (each is
    // sealed again under the current key when replayed). Empty: none.
    std::filesystem::path previousEncryptionKey;
    // Due dates and status-query limits (JSON, workflow.hpp); empty: the built-in defaults.
    std::filesystem::path workflow;
    // The kiosk's form files (assets/forms): every filing's answers are checked against its form
    // with the kiosk's validator, and refused (422, the field ids) when they do not pass. Empty:
    // no check (a warning at start).
    std::filesystem::path forms;
    // Fault drills and tests: hold every new submission this long before registering it (a slow
    // central; a window for concurrent duplicates).
    int processingDelayMs = 0;
    LeasePolicy lease; // POST /v1/case-numbers/lease
    std::optional<AuthOptions> auth; // set: the /v1/auth/* login service runs too
};

// Runs until SIGTERM/SIGINT. Prints "listening on HOST:PORT" on stdout once ready. Returns the exit
// status.
int serve(const ServeOptions& options);

} // namespace shensu::central
