// Receipts kept sealed at rest (AES-256-GCM under a key the database does not hold), shared by the
// SQLite and the PostgreSQL case registers.
#pragma once

#include "storage.hpp"

#include <optional>
#include <string>

namespace shensu::central
{

// nonce || ciphertext || tag, the idempotency key as associated data (a row cannot be moved under
// another key).
network::Bytes sealAtRest(
    const network::Bytes& key, const std::string& plain, const std::string& aad);
// Throws network::OpenSslError if it does not open under key.
std::string openAtRest(
    const network::Bytes& key, const network::Bytes& sealed, const std::string& aad);

// A stored answer opened under signing.atRestKey or, failing that, one of the older keys (an
// encryption key rotated, or the v1 derivation): then `resealed` is the row sealed again under the
// current key, for the caller to write back so the old key can go later. Throws OpenSslError if no
// key opens it.
std::string openStoredAnswer(const ReceiptSigning& signing, const network::Bytes& sealed,
    const std::string& idempotencyKey, std::optional<network::Bytes>& resealed);

void cleanseAtRestKeys(ReceiptSigning& signing);

// The Taipei date of a stored "YYYY-MM-DDTHH:MM:SSZ" (throws CaseChangeError if malformed).
std::string receivedTaipeiDate(const std::string& utc);

} // namespace shensu::central
