#!/usr/bin/env bash
# Makes the IVR prompts: config/prompts/<language>/<name>.wav, 8 kHz mono PCMU (G.711
# mu-law) WAV, spoken by espeak-ng and converted by sox. The files are committed, so the
# server and the tests need neither tool; run this after changing a text below.
#   Debian: apt-get install espeak-ng sox
set -euo pipefail
cd "$(dirname "$0")/.."
command -v espeak-ng >/dev/null && command -v sox >/dev/null || {
  echo "needs espeak-ng and sox (apt-get install espeak-ng sox)" >&2; exit 1; }

declare -A EN=(
  [welcome]="Welcome to Hotline."
  [press_1_chinese]="普通话请按1。"
  [press_2_english]="For English, press 2."
  [enter_number]="Please enter your phone or account number, then press hash."
  [not_found]="Sorry, we could not find that."
  [invalid]="Sorry, that is not a valid choice."
  [complaint_intro]="You have an open complaint."
  [complaint_is]="The complaint is"
  [complaint_open]="received, and waiting for an agent."
  [complaint_acknowledged]="acknowledged."
  [complaint_in_progress]="being worked on."
  [complaint_resolved]="resolved."
  [complaint_closed]="closed."
  [complaint_press_1]="To reach the person handling it, press 1. For other services, press 2."
  [menu_self_service]="For your account status, press 1. To check a complaint, press 2. For an agent, press 0."
  [menu_agent]="For an agent, press 0. For your account status, press 1. To check a complaint, press 2."
  [account_active]="Your account is active."
  [open_complaints]="Open complaints:"
  [enter_complaint]="Please enter the complaint number, then press hash."
  [more_or_agent]="For an agent, press 0. For the menu, press 9. To hang up, press hash."
  [goodbye]="Thank you for calling. Goodbye."
  [hold]="Please hold. An agent will be with you shortly."
  [queue_position]="Your place in the queue:"
  [wait_minutes]="Estimated wait, in minutes:"
  [transfer_failed]="Sorry, we could not connect you. We will call you back."
  [callback_offer]="To hang up and be called back, keeping your place, press 9."
  [callback_confirmed]="You keep your place in the queue. We will call you back when an agent is free. Goodbye."
  [survey_rate]="Please rate our service from 1 to 5. 5 is best."
  [survey_thanks]="Thank you for your rating. Goodbye."
)
declare -A ZH=(
  [welcome]="欢迎致电热线。"
  [press_1_chinese]="普通话请按1。"
  [press_2_english]="For English, press 2."
  [enter_number]="请输入您的电话号码或账号，以井号键结束。"
  [not_found]="抱歉，没有找到。"
  [invalid]="抱歉，输入无效。"
  [complaint_intro]="您有一个未结的投诉。"
  [complaint_is]="该投诉"
  [complaint_open]="已收到，正在等待处理。"
  [complaint_acknowledged]="已确认。"
  [complaint_in_progress]="正在处理中。"
  [complaint_resolved]="已解决。"
  [complaint_closed]="已关闭。"
  [complaint_press_1]="联系处理人请按1，其他服务请按2。"
  [menu_self_service]="查询账户请按1，查询投诉请按2，人工服务请按0。"
  [menu_agent]="人工服务请按0，查询账户请按1，查询投诉请按2。"
  [account_active]="您的账户状态正常。"
  [open_complaints]="未结投诉："
  [enter_complaint]="请输入投诉编号，以井号键结束。"
  [more_or_agent]="人工服务请按0，返回菜单请按9，挂机请按井号键。"
  [goodbye]="感谢来电，再见。"
  [hold]="请稍候，客服马上为您服务。"
  [queue_position]="您前面的排队位置："
  [wait_minutes]="预计等待分钟数："
  [transfer_failed]="抱歉，无法为您转接，我们会给您回电。"
  [callback_offer]="如需挂机并保留排队位置等待回电，请按9。"
  [callback_confirmed]="已为您保留排队位置，客服有空时会给您回电。再见。"
  [survey_rate]="请为我们的服务打分，1到5分，5分最好。"
  [survey_thanks]="感谢您的评价，再见。"
)
EN_DIGITS=(zero one two three four five six seven eight nine)
ZH_DIGITS=(零 一 二 三 四 五 六 七 八 九)

say() {  # language voice name text
  local dir="config/prompts/$1" tmp
  mkdir -p "$dir"
  tmp="$(mktemp --suffix=.wav)"
  espeak-ng -v "$2" -s 190 -w "$tmp" "$4"
  # 8 kHz mono mu-law, loudness normalised, silence trimmed at both ends to keep files small.
  sox "$tmp" -r 8000 -c 1 -e mu-law "$dir/$3.wav" norm -3 silence 1 0.02 1% reverse silence 1 0.05 1% reverse
  rm -f "$tmp"
}

for name in "${!EN[@]}"; do
  voice=en-us; [[ "$name" == press_1_chinese ]] && voice=cmn
  say en "$voice" "$name" "${EN[$name]}"
done
for name in "${!ZH[@]}"; do
  voice=cmn; [[ "$name" == press_2_english ]] && voice=en-us
  say zh "$voice" "$name" "${ZH[$name]}"
done
for i in "${!EN_DIGITS[@]}"; do
  say en en-us "digit_$i" "${EN_DIGITS[$i]}"
  say zh cmn "digit_$i" "${ZH_DIGITS[$i]}"
done
du -sh config/prompts/*
