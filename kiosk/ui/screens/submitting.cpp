// Submitting: sealing and storing, then waiting a few seconds for central's case number.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawSubmitting(Frame& f)
{
    title(f, f.tr("submitting.title"));
    paragraph(f.tr(f.state.filingId.empty() ? "submitting.storing" : "submitting.sending"));
}

} // namespace shensu::kiosk::ui
