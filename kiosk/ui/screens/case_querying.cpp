// Case querying: the kiosk is asking central for the case's status.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCaseQuerying(Frame& f)
{
    title(f, f.tr("case_querying.title"));
    paragraph(f.tr("case_querying.body"));
}

} // namespace shensu::kiosk::ui
