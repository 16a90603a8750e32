package service

import (
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/service/calendar"
)

// mailWords is the message catalogue of the words mails put in place of codes, per locale: what a person reads,
// never a snake_case code. The words are the glossary's (/work/shared/UI.md): the same word for the same thing in
// pages, e-mails and API descriptions. Keys: right.TYPE (completes "your request to ..."), kind.TYPE (a noun for
// staff mails), ground.GROUND (the subject's own words, as the form offers them), denial.REASON,
// correction.OUTCOME, job.RUNKIND (what a data system was asked to do, for its owner).
var mailWords = map[string]map[string]string{
	"en": {
		"right.access":               "access your data",
		"right.rectification":        "correct your data",
		"right.deletion":             "delete your data",
		"right.consent_withdrawal":   "withdraw your consent",
		"right.account_cancellation": "cancel your account",
		"right.portability":          "get a copy of your data or send it to another company",

		"kind.access":               "access to personal data",
		"kind.rectification":        "correction of personal data",
		"kind.deletion":             "deletion of personal data",
		"kind.consent_withdrawal":   "withdrawal of consent",
		"kind.account_cancellation": "cancellation of an account",
		"kind.portability":          "a copy of personal data, or its transfer to another company",

		"ground.collected_without_consent": "you collected my data without my consent, against the law",
		"ground.unlawful_processing":       "you process my data against the law",
		"ground.breach_of_agreement":       "you use my data against our agreement",
		"ground.no_longer_using_service":   "I no longer use your products or services",
		"ground.service_discontinued":      "you no longer provide me any product or service",

		"denial.insufficient_verification": "we could not confirm that the request comes from you",
		"denial.no_match":                  "we hold no personal data matching the details you gave",
		"denial.not_covered":               "what you asked for is not covered by your rights under the law",
		"denial.legal_obligation":          "the law requires us to keep or process this data",
		"denial.manifestly_unfounded":      "the request is manifestly unfounded or excessive",
		"denial.other":                     "another reason, explained below",

		"correction.applied": "corrected",
		"correction.refused": "not corrected",

		"job.collect":  "a job to collect a subject's data",
		"job.erase":    "a job to erase a subject's data",
		"job.suppress": "a job to stop processing for purposes whose consent was withdrawn",
	},
	"zh-CN": {
		"right.access":               "查阅、复制个人信息",
		"right.rectification":        "更正、补充个人信息",
		"right.deletion":             "删除个人信息",
		"right.consent_withdrawal":   "撤回同意",
		"right.account_cancellation": "注销账号",
		"right.portability":          "获取副本 / 转移至其他个人信息处理者",

		"kind.access":               "查阅、复制个人信息",
		"kind.rectification":        "更正、补充个人信息",
		"kind.deletion":             "删除个人信息",
		"kind.consent_withdrawal":   "撤回同意",
		"kind.account_cancellation": "注销账号",
		"kind.portability":          "获取副本 / 转移至其他个人信息处理者",

		"ground.collected_without_consent": "未经同意收集个人信息，违反法律法规",
		"ground.unlawful_processing":       "处理个人信息违反法律法规",
		"ground.breach_of_agreement":       "使用、处理个人信息违反与我的约定",
		"ground.no_longer_using_service":   "我不再使用你们的产品或服务",
		"ground.service_discontinued":      "你们不再为我提供任何产品或服务",

		"denial.insufficient_verification": "无法核实申请系由您本人提出",
		"denial.no_match":                  "未找到与您所提供信息相符的个人信息",
		"denial.not_covered":               "所申请事项不属于法律规定的个人信息权利范围",
		"denial.legal_obligation":          "法律、行政法规规定我们须保存或处理相关信息",
		"denial.manifestly_unfounded":      "申请明显缺乏依据或超出合理限度",
		"denial.other":                     "其他原因，详见下文",

		"correction.applied": "已更正",
		"correction.refused": "不予更正",

		"job.collect":  "收集个人信息",
		"job.erase":    "删除个人信息",
		"job.suppress": "停止处理已撤回同意的个人信息",
	},
}

// word returns the words for key in locale, English when the locale lacks them; "" for no code at all. A code
// with no words is an error, so that a new enum value cannot reach a person's mail as a code.
func word(locale, kind, code string) (string, error) {
	if code == "" {
		return "", nil
	}
	if w, ok := mailWords[locale][kind+"."+code]; ok {
		return w, nil
	}
	if w, ok := mailWords["en"][kind+"."+code]; ok {
		return w, nil
	}
	return "", fmt.Errorf("no words for %s %q in the mail catalogue", kind, code)
}

// longDate writes a date as people read it: "12 October 2026", "2026年10月12日".
func longDate(locale string, d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	if locale == "zh-CN" {
		return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
	}
	return fmt.Sprintf("%d %s %d", d.Day, d.Month, d.Year)
}

// longTime writes the last moment of a day to reply by, in the policy's time zone: "23:59 on 12 October 2026
// (Asia/Shanghai time)", "2026年10月12日 23:59（Asia/Shanghai 时间）".
func longTime(locale string, t time.Time) string {
	d := calendar.DateOf(t)
	if locale == "zh-CN" {
		return fmt.Sprintf("%s %s（%s 时间）", longDate(locale, d), t.Format("15:04"), t.Location())
	}
	return fmt.Sprintf("%s on %s (%s time)", t.Format("15:04"), longDate(locale, d), t.Location())
}
