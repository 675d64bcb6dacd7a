// libcurl RAII: global init once, easy handle, string lists, the setopt choke point.
#include "curl.hpp"

#include <mutex>

namespace shensu::network::curl
{

namespace
{
    void globalInit()
    {
        static std::once_flag once;
        std::call_once(once, [] {
            if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                throw CurlError("curl_global_init failed");
        });
    }
} // namespace

void StringList::append(const std::string& entry)
{
    curl_slist* next = curl_slist_append(list_, entry.c_str());
    if (!next) throw CurlError("curl_slist_append: out of memory");
    list_ = next;
}

void EasyHandle::check(CURLcode code, const char* what)
{
    if (code != CURLE_OK) throw CurlError(std::string(what) + ": " + curl_easy_strerror(code));
}

EasyHandle::EasyHandle()
{
    globalInit();
    handle_ = curl_easy_init();
    if (!handle_) throw CurlError("curl_easy_init failed");
    set(CURLOPT_ERRORBUFFER, errorBuffer_);
}

PerformResult EasyHandle::perform()
{
    errorBuffer_[0] = '\0';
    PerformResult result;
    result.code = curl_easy_perform(handle_);
    result.error = errorBuffer_[0] ? errorBuffer_ : curl_easy_strerror(result.code);
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &result.httpStatus);
    return result;
}

} // namespace shensu::network::curl
