// The decisions both storage backends share (see registration.hpp).
#include "registration.hpp"

#include "at_rest.hpp"
#include "auth_store.hpp"
#include "case_store.hpp"

#include <network/protocol.hpp>

#include <openssl/crypto.h>

namespace shensu::central
{

SubmissionReceipt newCaseReceipt(
    const CaseStorage::NewCase& c, const std::string& number, const WorkflowRules& rules)
{
    const std::string receivedDate = taipeiDate(c.receivedAt);
    return SubmissionReceipt { number, c.verificationCode, utcTimestamp(c.receivedAt),
        c.envelopeSha256, c.idempotencyKey, c.kioskId,
        rules.addPeriod(receivedDate, rules.initialReport),
        rules.addPeriod(receivedDate, rules.resultReport) };
}

StoredAnswer openReplayedAnswer(const ReceiptSigning& signing, const network::Bytes& sealed,
    const std::string& signer, const std::string& idempotencyKey)
{
    StoredAnswer answer;
    answer.body = openStoredAnswer(signing, sealed, idempotencyKey, answer.resealed);
    // Signed under an older receipt certificate: the same receipt is signed anew.
    if (signer != signing.signerId)
        answer.signAgain = network::protocol::parseSubmissionReceipt(
            network::protocol::parseSignedReceipt(answer.body).receipt);
    return answer;
}

std::string nextCaseState(const std::optional<CaseView>& current, const std::string& caseNumber,
    const std::optional<std::string>& to)
{
    if (!current) throw CaseChangeError("no case " + caseNumber);
    const auto index = caseStateIndex(current->status);
    const auto& states = caseStates();
    if (!index || *index + 1 >= states.size())
        throw CaseChangeError(
            "case " + caseNumber + " is " + current->status + ": nothing follows");
    const std::string next(states[*index + 1].code);
    if (to && *to != next)
        throw CaseChangeError("case " + caseNumber + " is " + current->status
            + "; the next state is " + next + ", not " + *to);
    return next;
}

std::string extendedResultDue(const std::optional<CaseView>& current, const std::string& caseNumber,
    const WorkflowRules& rules)
{
    if (!current) throw CaseChangeError("no case " + caseNumber);
    if (*caseStateIndex(current->status) >= *caseStateIndex("result_reported"))
        throw CaseChangeError("case " + caseNumber + " is " + current->status
            + ": the result deadline no longer runs");
    if (current->resultExtensions >= rules.maxResultExtensions)
        throw CaseChangeError("case " + caseNumber + " has had its "
            + std::to_string(rules.maxResultExtensions) + " extension(s) already");
    return rules.extendedResultDue(
        receivedTaipeiDate(current->receivedAt), current->resultReportDue);
}

std::string checkLeasedNumber(
    const CaseStorage::NewCase& c, const std::optional<StoredLease>& lease)
{
    const auto& taken = *c.leased;
    const LeasePolicy policy = c.leasePolicy ? *c.leasePolicy : LeasePolicy {};
    if (!lease) throw LeaseRefused("the case number was never leased");
    if (lease->kioskId != c.kioskId)
        throw LeaseRefused("the case number is leased to another kiosk");
    if (lease->leaseId != taken.leaseId)
        throw LeaseRefused("the case number belongs to another lease");
    if (lease->used) throw LeaseRefused("the case number is used already");
    // Odd times are noted, not refused (storage.hpp, leaseTimeNote): the number is this kiosk's
    // for good and the person was shown it as final.
    return leaseTimeNote(network::parseLeaseTime(taken.takenAt), lease->issued, lease->expires,
        c.receivedAt, policy.deliveryGrace);
}

NhiKeyAtStart nhiKeyAtStart(const std::filesystem::path& keyFile,
    const std::optional<std::string>& storedCheck, bool holdsCounts)
{
    NhiKeyAtStart key;
    if (auto secret = readNhiSecret(keyFile)) {
        key.secret = std::move(*secret);
    } else {
        if (storedCheck)
            throw std::runtime_error("the NHI counter key " + keyFile.string()
                + " is missing and the database was started with another key: refusing to"
                  " create a new one (restore the key file; a fleet's centrals share one copy)");
        if (holdsCounts)
            throw std::runtime_error("the NHI counter key " + keyFile.string()
                + " is missing but the database holds failure counts: restore the key file");
        key.secret = createNhiSecret(keyFile);
    }
    key.check = nhiKeyCheck(key.secret);
    key.storeCheck = !storedCheck;
    if (storedCheck && *storedCheck != key.check) {
        OPENSSL_cleanse(key.secret.data(), key.secret.size());
        throw std::runtime_error("the NHI counter key " + keyFile.string()
            + " is not the key this database's counts were made with (its check value differs):"
              " start central with the --nhi-key it was first started with (every central of a"
              " fleet holds a copy of one key file)");
    }
    return key;
}

CaseStorage::Lookup GroupCommit::registerCase(const CaseStorage::NewCase& c,
    const WorkflowRules& rules, SubmissionReceipt& created,
    const std::function<void(const Batch&)>& commitBatch)
{
    Registration mine { &c, &rules, {}, {}, nullptr, false };
    std::unique_lock queue(queueMutex_);
    queue_.push_back(&mine);
    while (!mine.done) {
        if (committing_) {
            committed_.wait(queue);
            continue;
        }
        // Lead the next commit: everything queued so far, this registration among it.
        committing_ = true;
        Batch batch;
        batch.swap(queue_);
        queue.unlock();
        commitBatch(batch);
        queue.lock();
        committing_ = false;
        for (auto* r : batch)
            r->done = true;
        committed_.notify_all();
    }
    if (mine.error) std::rethrow_exception(mine.error);
    created = mine.created;
    return mine.result;
}

} // namespace shensu::central
