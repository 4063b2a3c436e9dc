// Chinese and English for every page. t(key, args) looks a key up in the current language,
// falling back to English, then to the key itself. Pages add their own keys with extend().
// Elements built with dom.js keep their key in data-i18n, so applyI18n() redraws a whole page
// after a language switch without losing what the agent has typed.

const STORAGE_KEY = "hotline.lang";

const en = {
  "app.name": "Hotline",
  "app.console": "Agent console",
  "lang.switch": "中文",
  "lang.switch_label": "切换到中文 (Switch to Chinese)",
  "common.close": "Close",
  "common.cancel": "Cancel",
  "common.none": "None",
  "common.loading": "Loading…",
  "common.you": "you",
  "common.agent_n": "agent #{id}",
  "common.unknown": "Unknown",
  "common.dismiss": "Dismiss",
  "money": "{v}",

  "login.title": "Sign in to the agent console",
  "login.username": "Username",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.signing_in": "Signing in…",
  "login.failed": "Wrong username or password.",
  "login.expired": "Your session has ended. Please sign in again.",
  "login.forbidden": "This account cannot use the agent console.",
  "login.signed_out": "You have signed out.",

  "nav.label": "Views",
  "nav.workspace": "Workspace",
  "nav.customers": "Customers",
  "top.logout": "Sign out",
  "top.sound_on": "Sound on",
  "top.sound_off": "Sound off",
  "top.sound_label": "Offer alert sound",
  "top.shortcuts": "Keyboard shortcuts",
  "top.state_label": "Your state",

  "state.offline": "Offline",
  "state.available": "Available",
  "state.break": "Break",
  "state.offered": "Ringing",
  "state.busy": "Busy",
  "state.wrapup": "After-call work",
  "state.break_with": "Break · {reason}",
  "state.pending_break": "Break after this contact: {reason}",
  "state.left": "{t} left",
  "state.time_up": "time is up",
  "state.contacts": "{n} live",
  "state.choose_break": "Break reason",
  "state.go_available": "Available",
  "state.go_break": "Break",
  "state.go_offline": "Offline",
  "state.missed_offers": "You were put on a break after missed offers. Choose Available when you are back.",

  "conn.connected": "Connected",
  "conn.connecting": "Connecting…",
  "conn.reconnecting": "Reconnecting in {s} s",
  "conn.retry": "Retry now",
  "conn.restored": "Connection restored.",
  "conn.lost": "Connection to the server lost. Reconnecting…",
  "conn.taken_over": "Live in another window",
  "conn.label": "Connection",

  "idle.available.title": "You're available",
  "idle.available.body": "New calls and chats will appear here with the customer's profile.",
  "idle.break.title": "You're on a break",
  "idle.break.body": "Choose Available when you are ready to take contacts again.",
  "idle.not_ready.title": "Signed in, not ready yet",
  "idle.not_ready.body": "Choose Available when you are ready to take calls and chats.",
  "idle.offline.title": "You're offline",
  "idle.offline.body": "Choose Available to start receiving calls and chats.",
  "idle.wrapup.title": "After-call work",
  "idle.wrapup.body": "Finish the wrap-up; you become available when it is saved.",
  "idle.busy.title": "Busy",
  "idle.busy.body": "Your contacts are shown here.",
  "idle.offered.title": "Incoming",
  "idle.offered.body": "Accept or reject the offer above.",
  "idle.connecting.title": "Connecting…",
  "idle.connecting.body": "Waiting for the server.",

  "offer.incoming.voice": "Incoming call",
  "offer.incoming.chat": "Incoming chat",
  "offer.kind.callback": "Callback to make",
  "offer.kind.task": "Care task",
  "offer.accept": "Accept",
  "offer.reject": "Reject",
  "offer.seconds": "{s} s",
  "offer.countdown_label": "Seconds left to answer",
  "offer.waited": "waited {t}",
  "offer.queue": "Queue",
  "offer.from": "From",
  "offer.language": "Language",
  "offer.intent": "Intent",
  "offer.why": "Why you",
  "offer.rule": "Rule",
  "offer.step": "Step",
  "offer.priority": "Priority",
  "offer.candidates": "Candidates",
  "offer.rank": "rank {n}",
  "offer.ivr": "IVR path",
  "offer.entered": "Caller entered",
  "offer.callback": "Callback",
  "offer.task": "Task",
  "offer.task_due": "Due",
  "callback.requested": "Asked to be called back",
  "callback.scheduled": "Promised in wrap-up",
  "callback.abandoned": "For an abandoned call",
  "callback.connected": "Connected",
  "callback.failed": "Could not connect",
  "callback.unconfirmed": "Not confirmed",
  "callback.number": "call",
  "callback.due": "due",
  "callback.via_chat": "left in chat",
  "callback.opt_out": "the customer asked not to be called: reply in writing",
  "offer.reject_title": "Reason for rejecting",
  "offer.reject_confirm": "Reject offer",
  "offer.reject.not_my_area": "Not my area",
  "offer.reject.language": "Language I don't speak",
  "offer.reject.technical": "Technical problem",
  "offer.reject.personal": "Need a moment",
  "offer.announce": "{kind} from {name}, {grade}. Press A to accept or R to reject.",
  "offer.cancelled.expired": "The offer timed out: {reason}. The contact went back to its queue.",
  "offer.cancelled.abandoned": "The customer left before you answered; the contact is recorded as abandoned.",
  "offer.cancelled.agent_unavailable": "The offer was withdrawn: {reason}. The contact went back to its queue.",
  "offer.cancelled.undelivered": "The offer could not be shown on your screen. The contact went back to its queue.",
  "offer.cancelled.other": "The offer was withdrawn: {reason}.",
  "offer.cancelled.rejected": "Offer rejected. The contact went back to its queue.",
  "offer.new_customer": "New caller",
  "offer.region": "Incoming offers",

  "contact.voice": "Call",
  "contact.chat": "Chat",
  "contact.tabs": "Your contacts",
  "contact.connected.voice": "Call connected",
  "contact.connected.chat": "Chat open",
  "contact.duration": "Duration",
  "contact.end.voice": "End call",
  "contact.end.chat": "Close chat",
  "contact.ending": "Ending…",
  "contact.phone_hint": "The call rings on your phone; this console follows it.",
  "contact.notes": "Notes",
  "contact.notes_hint": "Kept with this contact and copied into the wrap-up.",
  "contact.notes_placeholder": "What the customer needs, what you promised…",
  "contact.notes_saving": "Saving…",
  "contact.notes_saved": "Saved {t}",
  "contact.details": "Contact details",
  "contact.ended_by_customer": "The customer ended the contact.",
  "contact.ended_abandoned": "The customer left.",
  "contact.wrapping": "wrap-up",
  "contact.saved": "saved",

  "chat.placeholder": "Type a reply. Enter sends, Shift+Enter adds a line.",
  "chat.send": "Send",
  "chat.empty": "No messages yet.",
  "chat.from.customer": "Customer",
  "chat.from.agent": "You",
  "chat.from.system": "System",
  "chat.log": "Conversation",
  "chat.customer_typing": "The customer is typing…",
  "chat.state.sent": "Sent",
  "chat.state.delivered": "Delivered",
  "chat.state.read": "Read",

  "wrapup.title": "Wrap-up",
  "wrapup.disposition": "Outcome",
  "wrapup.choose": "Choose an outcome…",
  "wrapup.notes": "Notes",
  "wrapup.complaint": "Log a complaint",
  "wrapup.category": "Category",
  "wrapup.severity": "Severity",
  "wrapup.description": "What is the complaint about?",
  "wrapup.callback": "Schedule a callback",
  "wrapup.callback_at": "Call back at",
  "wrapup.submit": "Save wrap-up",
  "wrapup.submit_hint": "Ctrl+Enter",
  "wrapup.saving": "Saving…",
  "wrapup.saved": "Wrap-up saved",
  "wrapup.saved_interaction": "Interaction #{id} written to the customer's record.",
  "wrapup.saved_complaint": "Complaint #{id} opened.",
  "wrapup.open_record": "Open customer record",
  "wrapup.done": "Done",
  "wrapup.need_disposition": "Choose an outcome first.",
  "wrapup.need_category": "Choose the complaint category.",
  "wrapup.need_description": "Describe the complaint.",
  "wrapup.task": "Task outcome",
  "wrapup.task_reached": "Customer reached",
  "wrapup.drift_reason": "Why did the customer drift away?",
  "wrapup.offer": "Offer made",
  "wrapup.won_back": "Customer won back",
  "wrapup.satisfied": "Is the customer satisfied?",
  "wrapup.satisfied_yes": "Satisfied",
  "wrapup.satisfied_no": "Not satisfied",
  "wrapup.need_drift_reason": "Choose why the customer drifted away.",
  "wrapup.need_satisfied": "Say whether the customer is satisfied.",
  "wrapup.need_callback": "Choose a callback time in the future.",
  "wrapup.left": "After-call work: {t} left",
  "wrapup.overdue": "After-call work time is up: your draft is being saved.",
  "wrapup.more_time": "+{s} s",
  "wrapup.more_time_label": "More time: {s} more seconds for this wrap-up",
  "wrapup.extended": "Wrap-up time extended.",
  "wrapup.at_max": "The wrap-up has reached its longest time; it cannot be extended further.",
  "wrapup.draft_saved": "Draft kept {t}",
  "wrapup.auto_saved": "Wrap-up time ended: your draft was saved to the record.",
  "wrapup.auto_saved_default": "Wrap-up time ended: your draft was saved with the outcome “{outcome}”, as no outcome was chosen.",
  "wrapup.auto_left_out": "The unfinished complaint, callback, promise or task outcome was not logged; what you typed is kept with the interaction.",
  "err.wrapup.extend.conflict": "The wrap-up has reached its longest time; it cannot be extended further.",
  "takeover.title": "Opened in another window",
  "takeover.body": "This console is now live in another window or tab. Only one window receives calls at a time; this one shows nothing new.",
  "takeover.take_back": "Use this window",

  "severity.low": "Low",
  "severity.medium": "Medium",
  "severity.high": "High",
  "severity.critical": "Critical",

  "profile.title": "Customer",
  "profile.empty": "The customer's profile appears here when a contact arrives.",
  "profile.grade": "Grade",
  "profile.grade_manual": "set by hand",
  "profile.lifecycle": "Lifecycle",
  "profile.value_12m": "Value, 12 months",
  "profile.clv": "Lifetime value",
  "profile.churn": "Churn risk",
  "profile.rfm": "RFM",
  "profile.rank": "rank {rank} of {size}",
  "profile.account_manager": "Account manager",
  "profile.phones": "Phone",
  "profile.emails": "E-mail",
  "profile.company": "Company",
  "profile.language": "Language",
  "profile.since": "Customer since",
  "profile.rating": "Satisfaction",
  "profile.ratings": "{avg} / 5 from {n}",
  "profile.no_ratings": "no ratings yet",
  "profile.open_complaints": "Open complaints",
  "profile.last_interactions": "Recent contacts",
  "profile.no_interactions": "No earlier contacts.",
  "profile.no_complaints": "No open complaints.",
  "profile.prospect": "Prospect",
  "profile.no_value": "Not graded yet.",
  "profile.do_not_contact": "Do not contact",
  "profile.do_not_call": "Do not call",
  "profile.do_not_message": "Do not message",
  "profile.open_promises": "Open promises",
  "profile.no_promises": "No open promises.",
  "promise.due": "due {t}",
  "promise.overdue": "overdue",
  "promise.mark_kept": "Kept",
  "promise.mark_broken": "Broken",
  "wrapup.promises": "A promise to the customer",
  "wrapup.need_promise": "Say what was promised and by when (a time to come).",
  "wrapup.promise_text": "What was promised",
  "wrapup.promise_due": "Due by",
  "profile.full_record": "Full record",
  "profile.interactions_total": "{n} in total",
  "language.zh": "Chinese",
  "language.en": "English",

  "grade.vip": "VIP",
  "grade.key": "Key",
  "grade.ordinary": "Ordinary",
  "grade.small": "Small",
  "grade.prospect": "Prospect",
  "lifecycle.exploration": "Exploration",
  "lifecycle.formation": "Formation",
  "lifecycle.stable": "Stable",
  "lifecycle.decline": "Decline",
  "churn.low": "low",
  "churn.medium": "medium",
  "churn.high": "high",

  "complaint.status.open": "Open",
  "complaint.status.acknowledged": "Acknowledged",
  "complaint.status.in_progress": "In progress",
  "complaint.status.resolved": "Resolved",
  "complaint.status.closed": "Closed",
  "complaint.due_in": "due in {d}",
  "complaint.overdue": "overdue by {d}",
  "complaint.n": "Complaint #{id}",

  "istatus.queued": "Queued",
  "istatus.offered": "Offered",
  "istatus.active": "In progress",
  "istatus.wrapup": "Wrap-up",
  "istatus.ended": "Ended",
  "end.completed": "Completed",
  "end.abandoned": "Abandoned",
  "end.timed_out": "Timed out in queue",
  "end.interrupted": "Interrupted",
  "end.failed": "Failed",
  "channel.voice": "Call",
  "channel.chat": "Chat",
  "channel.task": "Task",
  "interaction.wait": "waited {t}",
  "interaction.handle": "talked {t}",
  "interaction.by": "by {who}",
  "interaction.n": "Interaction #{id}",
  "interaction.rating": "rated {r}/5",

  "search.title": "Find a customer",
  "search.label": "Phone, e-mail or name",
  "search.placeholder": "Phone, e-mail or name",
  "search.submit": "Search",
  "search.by.phone": "Searching by phone",
  "search.by.email": "Searching by e-mail",
  "search.by.name": "Searching by name",
  "search.none": "No customer matches.",
  "search.found": "{n} found",
  "search.showing": "{shown} of {n} shown",
  "search.more": "Show {n} more",
  "search.results": "Search results",
  "record.empty": "Search for a customer, or open the record from a contact, to see the full history.",
  "record.interactions": "Contacts",
  "record.complaints": "Complaints",
  "record.no_complaints": "No complaints.",
  "record.refresh": "Refresh",

  "dur.s": "{n} s",
  "dur.min": "{n} min",
  "dur.h": "{n} h",
  "dur.h_min": "{h} h {m} min",
  "dur.d": "{n} d",
  "dur.lt_min": "less than a minute",

  "err.title.conflict": "Not possible right now",
  "err.title.not_found": "Not found",
  "err.title.invalid": "Please check",
  "err.title.forbidden": "Not allowed",
  "err.title.default": "Something went wrong",
  "err.not_connected": "Not connected to the server, so this was not sent. Try again once the connection is back.",
  "err.network": "The server cannot be reached. Check your connection.",
  "err.logout_blocked": "Finish your live contacts and wrap-ups before signing out.",
  "err.code.conflict": "This is not possible right now.",
  "err.code.not_found": "It no longer exists: someone may have finished it already.",
  "err.code.invalid": "The server did not accept what was sent. Check the form and try again.",
  "err.code.bad_request": "The server did not accept this request.",
  "err.code.forbidden": "Your account is not allowed to do this.",
  "err.code.unauthorized": "Your session has ended. Please sign in again.",
  "err.code.too_large": "This is too long to send.",
  "err.code.too_many_attempts": "Too many attempts. Wait a moment, then try again.",
  "err.code.unavailable": "The server is busy. Try again in a moment.",
  "err.code.internal": "The server could not do this; the problem has been logged.",
  "err.code.default": "The server could not do this. Try again in a moment.",
  "err.state.set.conflict": "Your state cannot change now: finish your live contacts and wrap-ups first.",
  "err.state.set.invalid": "Choose a break reason from the list.",
  "err.offer.accept.not_found": "This offer is no longer open.",
  "err.offer.accept.conflict": "This offer can no longer be accepted.",
  "err.offer.reject.not_found": "This offer is no longer open.",
  "err.offer.reject.conflict": "This offer can no longer be rejected.",
  "err.contact.end.not_found": "This contact has already ended.",
  "err.contact.end.conflict": "This contact cannot be ended now.",
  "err.wrapup.conflict": "This wrap-up has already been saved.",
  "err.wrapup.not_found": "This contact is not waiting for a wrap-up any more.",
  "err.wrapup.invalid": "The wrap-up was not accepted. Check the outcome and the fields, then save again.",
  "err.chat.send.bad_request": "Chat replies cannot be sent from the console yet.",
  "err.chat.send.invalid": "This reply could not be sent.",

  "keys.title": "Keyboard shortcuts",
  "keys.accept": "Accept the offer",
  "keys.reject": "Reject the offer (then pick a reason)",
  "keys.accept_any": "Accept, even while typing",
  "keys.reject_any": "Reject, even while typing",
  "keys.search": "Find a customer",
  "keys.wrapup": "Save the wrap-up",
  "keys.help": "Show this help",
  "keys.or": "or",
};

const zh = {
  "app.name": "Hotline 热线",
  "app.console": "坐席工作台",
  "lang.switch": "English",
  "lang.switch_label": "Switch to English（切换到英文）",
  "common.close": "关闭",
  "common.cancel": "取消",
  "common.none": "无",
  "common.loading": "加载中…",
  "common.you": "我",
  "common.agent_n": "坐席 #{id}",
  "common.unknown": "未知",
  "common.dismiss": "知道了",

  "login.title": "登录坐席工作台",
  "login.username": "用户名",
  "login.password": "密码",
  "login.submit": "登录",
  "login.signing_in": "正在登录…",
  "login.failed": "用户名或密码错误。",
  "login.expired": "会话已结束，请重新登录。",
  "login.forbidden": "此账号不能使用坐席工作台。",
  "login.signed_out": "您已退出登录。",

  "nav.label": "视图",
  "nav.workspace": "工作台",
  "nav.customers": "客户",
  "top.logout": "退出",
  "top.sound_on": "提示音：开",
  "top.sound_off": "提示音：关",
  "top.sound_label": "来电提示音",
  "top.shortcuts": "键盘快捷键",
  "top.state_label": "我的状态",

  "state.offline": "离线",
  "state.available": "空闲",
  "state.break": "小休",
  "state.offered": "振铃中",
  "state.busy": "服务中",
  "state.wrapup": "话后处理",
  "state.break_with": "小休 · {reason}",
  "state.pending_break": "本次服务后小休：{reason}",
  "state.left": "剩余 {t}",
  "state.time_up": "已超时",
  "state.contacts": "{n} 个进行中",
  "state.choose_break": "小休原因",
  "state.go_available": "示闲",
  "state.go_break": "小休",
  "state.go_offline": "离线",
  "state.missed_offers": "由于多次未接，系统已将您置为小休。回来后请点击“示闲”。",

  "conn.connected": "已连接",
  "conn.connecting": "正在连接…",
  "conn.reconnecting": "{s} 秒后重连",
  "conn.retry": "立即重连",
  "conn.restored": "连接已恢复。",
  "conn.lost": "与服务器的连接已断开，正在重连…",
  "conn.taken_over": "已在其他窗口使用",
  "conn.label": "连接状态",

  "idle.available.title": "您已示闲",
  "idle.available.body": "新的来电和会话会连同客户档案显示在这里。",
  "idle.break.title": "您正在小休",
  "idle.break.body": "准备好接待客户时，请点击“示闲”。",
  "idle.not_ready.title": "已登录，尚未就绪",
  "idle.not_ready.body": "准备好接听来电和会话时，请点击“示闲”。",
  "idle.offline.title": "您当前离线",
  "idle.offline.body": "点击“示闲”即可开始接收来电和会话。",
  "idle.wrapup.title": "话后处理",
  "idle.wrapup.body": "请完成话后小结，保存后自动恢复空闲。",
  "idle.busy.title": "服务中",
  "idle.busy.body": "您正在处理的服务显示在这里。",
  "idle.offered.title": "新分配",
  "idle.offered.body": "请接受或拒绝上方的分配。",
  "idle.connecting.title": "正在连接…",
  "idle.connecting.body": "正在等待服务器响应。",

  "offer.incoming.voice": "来电",
  "offer.incoming.chat": "新会话",
  "offer.kind.callback": "待回电",
  "offer.kind.task": "关怀任务",
  "offer.accept": "接受",
  "offer.reject": "拒绝",
  "offer.seconds": "{s} 秒",
  "offer.countdown_label": "剩余应答时间（秒）",
  "offer.waited": "已等待 {t}",
  "offer.queue": "队列",
  "offer.from": "来自",
  "offer.language": "语言",
  "offer.intent": "意图",
  "offer.why": "分配原因",
  "offer.rule": "规则",
  "offer.step": "步骤",
  "offer.priority": "优先级",
  "offer.candidates": "候选坐席",
  "offer.rank": "第 {n} 位",
  "offer.ivr": "IVR 路径",
  "offer.entered": "来电者输入",
  "offer.callback": "回电",
  "offer.task": "任务",
  "offer.task_due": "截止时间",
  "callback.requested": "客户要求回电",
  "callback.scheduled": "结束处理时约定的回电",
  "callback.abandoned": "为放弃的来电回电",
  "callback.connected": "已接通",
  "callback.failed": "未能接通",
  "callback.unconfirmed": "未确认",
  "callback.number": "拨打",
  "callback.due": "约定时间",
  "callback.via_chat": "聊天留言",
  "callback.opt_out": "客户要求不接听电话，请以书面方式回复",
  "offer.reject_title": "拒绝原因",
  "offer.reject_confirm": "确认拒绝",
  "offer.reject.not_my_area": "非我负责的业务",
  "offer.reject.language": "语言不通",
  "offer.reject.technical": "技术问题",
  "offer.reject.personal": "需要稍等片刻",
  "offer.announce": "{name}的{kind}，{grade}。按 A 接受，按 R 拒绝。",
  "offer.cancelled.expired": "分配已超时：{reason}。该联系已回到队列。",
  "offer.cancelled.abandoned": "客户在您接听前已离开，本次联系记为客户放弃。",
  "offer.cancelled.agent_unavailable": "分配已撤回：{reason}。该联系已回到队列。",
  "offer.cancelled.undelivered": "分配未能显示在您的屏幕上，该联系已回到队列。",
  "offer.cancelled.other": "分配已撤回：{reason}。",
  "offer.cancelled.rejected": "已拒绝，该联系已回到队列。",
  "offer.new_customer": "新来电客户",
  "offer.region": "新分配",

  "contact.voice": "通话",
  "contact.chat": "会话",
  "contact.tabs": "我的服务",
  "contact.connected.voice": "通话已接通",
  "contact.connected.chat": "会话进行中",
  "contact.duration": "时长",
  "contact.end.voice": "结束通话",
  "contact.end.chat": "结束会话",
  "contact.ending": "正在结束…",
  "contact.phone_hint": "电话在您的话机上振铃，工作台同步显示通话。",
  "contact.notes": "备注",
  "contact.notes_hint": "随本次服务保存，并自动带入话后小结。",
  "contact.notes_placeholder": "客户的需求、您的承诺……",
  "contact.notes_saving": "正在保存……",
  "contact.notes_saved": "已保存 {t}",
  "contact.details": "接入信息",
  "contact.ended_by_customer": "客户已结束本次服务。",
  "contact.ended_abandoned": "客户已离开。",
  "contact.wrapping": "小结",
  "contact.saved": "已保存",

  "chat.placeholder": "输入回复。Enter 发送，Shift+Enter 换行。",
  "chat.send": "发送",
  "chat.empty": "暂无消息。",
  "chat.from.customer": "客户",
  "chat.from.agent": "我",
  "chat.from.system": "系统",
  "chat.log": "会话内容",
  "chat.customer_typing": "客户正在输入…",
  "chat.state.sent": "已发送",
  "chat.state.delivered": "已送达",
  "chat.state.read": "已读",

  "wrapup.title": "话后小结",
  "wrapup.disposition": "处理结果",
  "wrapup.choose": "请选择处理结果…",
  "wrapup.notes": "备注",
  "wrapup.complaint": "登记投诉",
  "wrapup.category": "投诉类别",
  "wrapup.severity": "严重程度",
  "wrapup.description": "投诉内容",
  "wrapup.callback": "预约回电",
  "wrapup.callback_at": "回电时间",
  "wrapup.submit": "保存小结",
  "wrapup.submit_hint": "Ctrl+Enter",
  "wrapup.saving": "正在保存…",
  "wrapup.saved": "小结已保存",
  "wrapup.saved_interaction": "服务记录 #{id} 已写入客户档案。",
  "wrapup.saved_complaint": "已创建投诉 #{id}。",
  "wrapup.open_record": "查看客户档案",
  "wrapup.done": "完成",
  "wrapup.need_disposition": "请先选择处理结果。",
  "wrapup.need_category": "请选择投诉类别。",
  "wrapup.need_description": "请填写投诉内容。",
  "wrapup.task": "任务结果",
  "wrapup.task_reached": "已联系到客户",
  "wrapup.drift_reason": "客户流失的原因",
  "wrapup.offer": "提供的优惠",
  "wrapup.won_back": "已挽回客户",
  "wrapup.satisfied": "客户是否满意？",
  "wrapup.satisfied_yes": "满意",
  "wrapup.satisfied_no": "不满意",
  "wrapup.need_drift_reason": "请选择客户流失的原因。",
  "wrapup.need_satisfied": "请选择客户是否满意。",
  "wrapup.need_callback": "请选择一个将来的回电时间。",
  "wrapup.left": "话后处理：剩余 {t}",
  "wrapup.overdue": "话后处理时间已到：正在保存您的草稿。",
  "wrapup.more_time": "+{s} 秒",
  "wrapup.more_time_label": "延长话后处理：再加 {s} 秒",
  "wrapup.extended": "话后处理时间已延长。",
  "wrapup.at_max": "话后处理已达最长时间，不能再延长。",
  "wrapup.draft_saved": "草稿已于 {t} 保存",
  "wrapup.auto_saved": "话后处理时间已到：您的草稿已作为小结保存到档案。",
  "wrapup.auto_saved_default": "话后处理时间已到：未选择处理结果，草稿已按“{outcome}”保存。",
  "wrapup.auto_left_out": "未填写完整的投诉、回电、承诺或任务结果没有登记，已输入的内容随服务记录保留。",
  "err.wrapup.extend.conflict": "话后处理已达最长时间，不能再延长。",
  "takeover.title": "已在另一个窗口打开",
  "takeover.body": "工作台已在另一个窗口或标签页中启用。同一时间只有一个窗口接收来电，此窗口不再更新。",
  "takeover.take_back": "在此窗口继续",

  "severity.low": "低",
  "severity.medium": "中",
  "severity.high": "高",
  "severity.critical": "紧急",

  "profile.title": "客户",
  "profile.empty": "有来电或会话时，客户档案会显示在这里。",
  "profile.grade": "等级",
  "profile.grade_manual": "人工设定",
  "profile.lifecycle": "生命周期",
  "profile.value_12m": "近 12 个月价值",
  "profile.clv": "客户终身价值",
  "profile.churn": "流失风险",
  "profile.rfm": "RFM",
  "profile.rank": "排名 {rank} / {size}",
  "profile.account_manager": "客户经理",
  "profile.phones": "电话",
  "profile.emails": "邮箱",
  "profile.company": "公司",
  "profile.language": "语言",
  "profile.since": "建档时间",
  "profile.rating": "满意度",
  "profile.ratings": "{avg} / 5（{n} 次评价）",
  "profile.no_ratings": "暂无评价",
  "profile.open_complaints": "未结投诉",
  "profile.last_interactions": "近期服务记录",
  "profile.no_interactions": "暂无服务记录。",
  "profile.no_complaints": "没有未结投诉。",
  "profile.prospect": "潜在客户",
  "profile.no_value": "尚未评级。",
  "profile.do_not_contact": "勿扰",
  "profile.do_not_call": "勿致电",
  "profile.do_not_message": "勿发消息",
  "profile.open_promises": "未兑现承诺",
  "profile.no_promises": "没有未兑现的承诺。",
  "promise.due": "{t} 前",
  "promise.overdue": "已逾期",
  "promise.mark_kept": "已兑现",
  "promise.mark_broken": "未兑现",
  "wrapup.promises": "对客户的承诺",
  "wrapup.need_promise": "请填写承诺内容和将来的截止时间。",
  "wrapup.promise_text": "承诺内容",
  "wrapup.promise_due": "截止时间",
  "profile.full_record": "完整档案",
  "profile.interactions_total": "共 {n} 条",
  "language.zh": "中文",
  "language.en": "英文",

  "grade.vip": "贵宾",
  "grade.key": "重要客户",
  "grade.ordinary": "普通客户",
  "grade.small": "小客户",
  "grade.prospect": "潜在客户",
  "lifecycle.exploration": "考察期",
  "lifecycle.formation": "形成期",
  "lifecycle.stable": "稳定期",
  "lifecycle.decline": "退化期",
  "churn.low": "低",
  "churn.medium": "中",
  "churn.high": "高",

  "complaint.status.open": "待受理",
  "complaint.status.acknowledged": "已受理",
  "complaint.status.in_progress": "处理中",
  "complaint.status.resolved": "已解决",
  "complaint.status.closed": "已关闭",
  "complaint.due_in": "{d}后到期",
  "complaint.overdue": "已超期 {d}",
  "complaint.n": "投诉 #{id}",

  "istatus.queued": "排队中",
  "istatus.offered": "分配中",
  "istatus.active": "进行中",
  "istatus.wrapup": "话后处理",
  "istatus.ended": "已结束",
  "end.completed": "已完成",
  "end.abandoned": "客户放弃",
  "end.timed_out": "排队超时",
  "end.interrupted": "已中断",
  "end.failed": "失败",
  "channel.voice": "电话",
  "channel.chat": "在线会话",
  "channel.task": "外呼任务",
  "interaction.wait": "等待 {t}",
  "interaction.handle": "通话 {t}",
  "interaction.by": "处理人：{who}",
  "interaction.n": "服务记录 #{id}",
  "interaction.rating": "评分 {r}/5",

  "search.title": "查找客户",
  "search.label": "电话、邮箱或姓名",
  "search.placeholder": "电话、邮箱或姓名",
  "search.submit": "搜索",
  "search.by.phone": "按电话搜索",
  "search.by.email": "按邮箱搜索",
  "search.by.name": "按姓名搜索",
  "search.none": "没有匹配的客户。",
  "search.found": "找到 {n} 位客户",
  "search.showing": "已显示 {shown} / {n} 位客户",
  "search.more": "再显示 {n} 位",
  "search.results": "搜索结果",
  "record.empty": "搜索客户，或从当前服务打开档案，即可查看完整历史。",
  "record.interactions": "服务记录",
  "record.complaints": "投诉",
  "record.no_complaints": "没有投诉。",
  "record.refresh": "刷新",

  "dur.s": "{n} 秒",
  "dur.min": "{n} 分钟",
  "dur.h": "{n} 小时",
  "dur.h_min": "{h} 小时 {m} 分钟",
  "dur.d": "{n} 天",
  "dur.lt_min": "不到 1 分钟",

  "err.title.conflict": "当前无法执行",
  "err.title.not_found": "未找到",
  "err.title.invalid": "请检查输入",
  "err.title.forbidden": "没有权限",
  "err.title.default": "出现问题",
  "err.not_connected": "未连接到服务器，操作未发送。连接恢复后请重试。",
  "err.network": "无法连接服务器，请检查网络。",
  "err.logout_blocked": "请先完成当前服务和话后小结，再退出登录。",
  "err.code.conflict": "当前无法执行此操作。",
  "err.code.not_found": "该项已不存在，可能已被处理。",
  "err.code.invalid": "服务器未接受提交的内容，请检查后重试。",
  "err.code.bad_request": "服务器未接受此请求。",
  "err.code.forbidden": "您的账号无权执行此操作。",
  "err.code.unauthorized": "会话已结束，请重新登录。",
  "err.code.too_large": "内容过长，无法发送。",
  "err.code.too_many_attempts": "尝试次数过多，请稍后再试。",
  "err.code.unavailable": "服务器繁忙，请稍后重试。",
  "err.code.internal": "服务器处理失败，问题已记录。",
  "err.code.default": "服务器未能完成此操作，请稍后重试。",
  "err.state.set.conflict": "当前无法切换状态：请先完成进行中的服务和话后小结。",
  "err.state.set.invalid": "请从列表中选择小休原因。",
  "err.offer.accept.not_found": "该分配已失效。",
  "err.offer.accept.conflict": "该分配已无法接受。",
  "err.offer.reject.not_found": "该分配已失效。",
  "err.offer.reject.conflict": "该分配已无法拒绝。",
  "err.contact.end.not_found": "该服务已经结束。",
  "err.contact.end.conflict": "当前无法结束该服务。",
  "err.wrapup.conflict": "该话后小结已保存过。",
  "err.wrapup.not_found": "该服务已不需要话后小结。",
  "err.wrapup.invalid": "话后小结未被接受，请检查处理结果和各项内容后再保存。",
  "err.chat.send.bad_request": "工作台暂不支持发送会话回复。",
  "err.chat.send.invalid": "该回复无法发送。",

  "keys.title": "键盘快捷键",
  "keys.accept": "接受分配",
  "keys.reject": "拒绝分配（随后选择原因）",
  "keys.accept_any": "接受（输入时也可用）",
  "keys.reject_any": "拒绝（输入时也可用）",
  "keys.search": "查找客户",
  "keys.wrapup": "保存话后小结",
  "keys.help": "显示此帮助",
  "keys.or": "或",
};

const dictionaries = { en, zh };
const listeners = new Set();
let lang = initialLang();
// The server renders its own words (reasons, explanations) in this language: REST calls send
// it as Accept-Language, the agent socket as ?lang= and "language.set".
if (typeof document !== "undefined") document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";

function initialLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && dictionaries[saved]) return saved;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return nav.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** Add a page's own keys: extend({en: {...}, zh: {...}}). */
export function extend(more) {
  for (const [code, entries] of Object.entries(more)) {
    dictionaries[code] = Object.assign(dictionaries[code] || {}, entries);
  }
}

export function getLang() {
  return lang;
}

/** Whether `key` has words (in English at least): unknown keys are shown as their last part. */
export function hasKey(key) {
  return key in dictionaries.en;
}

/** Translate; args fill {name} slots (see formatArg). */
export function t(key, args) {
  // An unknown key (a code the server added later) reads as its last part: "end.timed_out" →
  // "timed out".
  let text = dictionaries[lang]?.[key] ?? dictionaries.en[key] ?? key.split(".").pop().replace(/_/g, " ");
  if (args) {
    text = text.replace(/\{(\w+)\}/g, (m, name) => {
      if (!(name in args)) return m;
      return formatArg(args[name]);
    });
  }
  return text;
}

// Args may be plain values, "@key" (a translated key), {$dur: seconds}, {$money: n} or
// {$date: iso}: kept as data so that a language switch re-formats them too.
function formatArg(v) {
  if (typeof v === "string" && v.startsWith("@")) return t(v.slice(1));
  if (v && typeof v === "object") {
    if ("$dur" in v) return humanDuration(v.$dur);
    if ("$clock" in v) return clock(v.$clock);
    if ("$money" in v) return formatMoney(v.$money);
    if ("$date" in v) return formatDate(v.$date, v.style || "datetime");
    if ("$label" in v) return label(v.$label);
  }
  return String(v ?? "");
}

/** A server label {code, label_en, label_zh} in the current language. */
export function label(item) {
  if (!item) return "";
  return (lang === "zh" ? item.label_zh : item.label_en) || item.label_en || item.code || "";
}

export function setLang(code) {
  if (!dictionaries[code]) return;
  lang = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code === "zh" ? "zh-CN" : "en";
  applyI18n(document);
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Redraw every translated text, attribute, server label and formatted time under root. */
export function applyI18n(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : undefined;
    el.textContent = t(el.dataset.i18n, args);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    const map = JSON.parse(el.dataset.i18nAttr);
    for (const [attr, [key, args]] of Object.entries(map)) el.setAttribute(attr, t(key, args));
  }
  for (const el of root.querySelectorAll("[data-label-en]")) {
    el.textContent = lang === "zh" ? el.dataset.labelZh : el.dataset.labelEn;
  }
  for (const el of root.querySelectorAll("time[data-fmt]")) {
    el.textContent = formatDate(el.dateTime, el.dataset.fmt);
  }
}

// --- formatting -----------------------------------------------------------------------

const locale = () => (lang === "zh" ? "zh-CN" : "en-GB");

/** "datetime" (default), "date", "time" or "relative" formatting of an ISO time. */
export function formatDate(iso, style = "datetime") {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  if (style === "relative") return relative(d);
  const opts =
    style === "date"
      ? { year: "numeric", month: "short", day: "numeric" }
      : style === "time"
        ? { hour: "2-digit", minute: "2-digit" }
        : { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(locale(), opts).format(d);
}

function relative(d) {
  const sec = (d.getTime() - Date.now()) / 1000;
  const abs = Math.abs(sec);
  const rtf = new Intl.RelativeTimeFormat(lang === "zh" ? "zh-CN" : "en", { numeric: "auto" });
  if (abs < 60) return rtf.format(Math.round(sec), "second");
  if (abs < 3600) return rtf.format(Math.round(sec / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(sec / 3600), "hour");
  if (abs < 86400 * 30) return rtf.format(Math.round(sec / 86400), "day");
  return formatDate(d.toISOString(), "date");
}

/** A clock-like duration: 0:42, 12:03, 1:02:03. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** A spoken duration: "12 min", "5 h 10 min", "3 d". */
export function humanDuration(seconds) {
  const s = Math.abs(seconds || 0);
  if (s < 60) return t("dur.lt_min");
  if (s < 3600) return t("dur.min", { n: Math.round(s / 60) });
  if (s < 86400) {
    const total = Math.round(s / 60); // minutes, rounded once so 59.6 min never shows as "60 min"
    const h = Math.floor(total / 60);
    const m = total % 60;
    return m ? t("dur.h_min", { h, m }) : t("dur.h", { n: h });
  }
  return t("dur.d", { n: Math.round(s / 86400) });
}

export function formatNumber(n, digits = 0) {
  if (n == null || Number.isNaN(Number(n))) return "—";
  return new Intl.NumberFormat(locale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(Number(n));
}

/** Money as the server's reasons write it (config/grades.yaml currency, "¥" by default). */
export function formatMoney(n) {
  if (n == null) return "—";
  return `¥${formatNumber(n, 0)}`;
}


document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
