/**
 * The hosted checkout's words in the ten shopper languages, and how a request picks one.
 *
 * Each language is written as a checkout in that language would say it, not translated word for
 * word: a Chinese page says 付款成功 where an English one says "Payment received". Placeholders are
 * `{name}`; {@link t} fills them, and its parameters are typed from the English template, so a
 * call that forgets a value (or invents one) does not compile.
 */
import type { Locale } from './view.js';

export type { Locale };

/** Every locale the page speaks, in the order the seeds list them. */
export const LOCALES: readonly Locale[] = ['en', 'zh-Hans', 'zh-Hant', 'ja', 'es', 'nl', 'id', 'ms', 'th', 'fil'];

const en = {
  payMerchant: 'Pay {merchant}',
  testMode: 'Test mode',
  testModeNote: 'This is a test payment. No real money will be charged.',
  orderSummary: 'Order summary',
  qty: 'Qty {quantity}',
  each: '{amount} each',
  subtotal: 'Subtotal',
  total: 'Total',
  email: 'Email',
  paymentMethod: 'Payment method',
  alipay: 'Alipay',
  payWith: 'Pay with {wallet}',
  chooseWallet: 'Choose your wallet',
  otherWallet: 'Pay with another wallet',
  payWithSelected: 'Pay with selected wallet',
  minimum: 'Minimum {amount}',
  or: 'or',
  showQr: 'Show QR code',
  scanWith: 'Scan with the {wallet} app',
  qrLabel: 'QR code to pay {amount} with {wallet}',
  openOnDevice: 'Open on this device',
  waiting: 'Waiting for payment…',
  loadingQr: 'Getting your QR code…',
  qrPlaceholder: 'Your QR code will appear here',
  phoneHint: 'You’ll confirm the payment in the {wallet} app.',
  phoneHintAny: 'You’ll confirm the payment in your wallet app.',
  errorTitle: 'Your payment didn’t go through',
  tryAgain: 'Please try again.',
  retry: 'Try again',
  genericError: 'Something went wrong. Please try again.',
  redirecting: 'Redirecting…',
  cancel: 'Cancel and return to {merchant}',
  completeTitle: 'Payment received',
  completeBody: 'Thank you! Your payment of {amount} to {merchant} is complete.',
  returnTo: 'Return to {merchant}',
  expiredTitle: 'This checkout has expired',
  expiredBody: 'The time to pay has run out, and you have not been charged. To buy, go back to {merchant} and start again.',
  poweredBy: 'Powered by {name}',
} as const;

/** The name of one string of the page; English defines the set. */
export type MessageKey = keyof typeof en;
/** One language's strings: every key, no more, no fewer (the compiler and a test both check). */
export type Messages = { readonly [K in MessageKey]: string };

const zhHans: Messages = {
  payMerchant: '向{merchant}付款',
  testMode: '测试模式',
  testModeNote: '这是一笔测试付款，不会产生真实扣款。',
  orderSummary: '订单摘要',
  qty: '数量：{quantity}',
  each: '单价：{amount}',
  subtotal: '小计',
  total: '合计',
  email: '邮箱',
  paymentMethod: '支付方式',
  alipay: '支付宝',
  payWith: '使用{wallet}付款',
  chooseWallet: '选择钱包',
  otherWallet: '使用其他钱包付款',
  payWithSelected: '使用所选钱包付款',
  minimum: '最低金额 {amount}',
  or: '或',
  showQr: '显示付款码',
  scanWith: '请打开{wallet}扫码付款',
  qrLabel: '使用{wallet}支付{amount}的二维码',
  openOnDevice: '在本设备上打开',
  waiting: '正在等待付款…',
  loadingQr: '正在生成付款码…',
  qrPlaceholder: '付款码将显示在这里',
  phoneHint: '您将在{wallet}中确认付款。',
  phoneHintAny: '您将在钱包 App 中确认付款。',
  errorTitle: '付款未完成',
  tryAgain: '请重新尝试。',
  retry: '重试',
  genericError: '出了点问题，请重试。',
  redirecting: '正在跳转…',
  cancel: '取消并返回{merchant}',
  completeTitle: '付款成功',
  completeBody: '感谢您的购买！您已成功向{merchant}支付{amount}。',
  returnTo: '返回{merchant}',
  expiredTitle: '付款页面已过期',
  expiredBody: '付款时间已过，您未被扣款。如需购买，请返回{merchant}重新下单。',
  poweredBy: '由{name}提供技术支持',
};

const zhHant: Messages = {
  payMerchant: '向{merchant}付款',
  testMode: '測試模式',
  testModeNote: '這是一筆測試付款，不會實際扣款。',
  orderSummary: '訂單摘要',
  qty: '數量：{quantity}',
  each: '單價：{amount}',
  subtotal: '小計',
  total: '總計',
  email: '電子郵件',
  paymentMethod: '付款方式',
  alipay: '支付寶',
  payWith: '使用{wallet}付款',
  chooseWallet: '選擇錢包',
  otherWallet: '使用其他錢包付款',
  payWithSelected: '使用所選錢包付款',
  minimum: '最低金額 {amount}',
  or: '或',
  showQr: '顯示 QR 碼',
  scanWith: '請開啟{wallet}掃描付款',
  qrLabel: '以{wallet}支付{amount}的 QR 碼',
  openOnDevice: '在此裝置上開啟',
  waiting: '正在等待付款…',
  loadingQr: '正在產生 QR 碼…',
  qrPlaceholder: 'QR 碼將顯示於此',
  phoneHint: '您將在{wallet}中確認付款。',
  phoneHintAny: '您將在錢包 App 中確認付款。',
  errorTitle: '付款未完成',
  tryAgain: '請再試一次。',
  retry: '再試一次',
  genericError: '發生錯誤，請再試一次。',
  redirecting: '正在跳轉…',
  cancel: '取消並返回{merchant}',
  completeTitle: '付款成功',
  completeBody: '謝謝您的購買！您已成功向{merchant}支付{amount}。',
  returnTo: '返回{merchant}',
  expiredTitle: '付款頁面已逾時',
  expiredBody: '付款時限已過，您並未被扣款。如需購買，請返回{merchant}重新下單。',
  poweredBy: '由{name}提供技術支援',
};

const ja: Messages = {
  payMerchant: '{merchant}へのお支払い',
  testMode: 'テストモード',
  testModeNote: 'これはテスト決済です。実際の請求は発生しません。',
  orderSummary: 'ご注文内容',
  qty: '数量：{quantity}',
  each: '単価：{amount}',
  subtotal: '小計',
  total: '合計',
  email: 'メールアドレス',
  paymentMethod: 'お支払い方法',
  alipay: 'Alipay',
  payWith: '{wallet}で支払う',
  chooseWallet: 'ウォレットを選択してください',
  otherWallet: '他のウォレットで支払う',
  payWithSelected: '選択したウォレットで支払う',
  minimum: '最低金額 {amount}',
  or: 'または',
  showQr: 'QRコードを表示',
  scanWith: '{wallet}アプリでスキャンしてください',
  qrLabel: '{wallet}で{amount}を支払うためのQRコード',
  openOnDevice: 'この端末で開く',
  waiting: 'お支払いをお待ちしています…',
  loadingQr: 'QRコードを準備しています…',
  qrPlaceholder: 'ここにQRコードが表示されます',
  phoneHint: '{wallet}アプリでお支払いを確定します。',
  phoneHintAny: 'ウォレットアプリでお支払いを確定します。',
  errorTitle: 'お支払いが完了しませんでした',
  tryAgain: 'もう一度お試しください。',
  retry: 'もう一度試す',
  genericError: '問題が発生しました。もう一度お試しください。',
  redirecting: '移動しています…',
  cancel: 'キャンセルして{merchant}に戻る',
  completeTitle: 'お支払いが完了しました',
  completeBody: 'ありがとうございます。{merchant}への{amount}のお支払いが完了しました。',
  returnTo: '{merchant}に戻る',
  expiredTitle: 'お支払いの有効期限が切れました',
  expiredBody: 'お支払いの期限が過ぎたため、請求は発生していません。ご購入の際は{merchant}に戻り、もう一度お手続きください。',
  poweredBy: 'Powered by {name}',
};

const es: Messages = {
  payMerchant: 'Pagar a {merchant}',
  testMode: 'Modo de prueba',
  testModeNote: 'Este es un pago de prueba. No se cobrará dinero real.',
  orderSummary: 'Resumen del pedido',
  qty: 'Cant.: {quantity}',
  each: '{amount} por unidad',
  subtotal: 'Subtotal',
  total: 'Total',
  email: 'Correo electrónico',
  paymentMethod: 'Método de pago',
  alipay: 'Alipay',
  payWith: 'Pagar con {wallet}',
  chooseWallet: 'Elige tu billetera',
  otherWallet: 'Pagar con otra billetera',
  payWithSelected: 'Pagar con la billetera elegida',
  minimum: 'Mínimo {amount}',
  or: 'o',
  showQr: 'Mostrar código QR',
  scanWith: 'Escanea con la app de {wallet}',
  qrLabel: 'Código QR para pagar {amount} con {wallet}',
  openOnDevice: 'Abrir en este dispositivo',
  waiting: 'Esperando el pago…',
  loadingQr: 'Generando tu código QR…',
  qrPlaceholder: 'Tu código QR aparecerá aquí',
  phoneHint: 'Confirmarás el pago en la app de {wallet}.',
  phoneHintAny: 'Confirmarás el pago en la app de tu billetera.',
  errorTitle: 'No se pudo completar el pago',
  tryAgain: 'Vuelve a intentarlo.',
  retry: 'Volver a intentarlo',
  genericError: 'Algo salió mal. Vuelve a intentarlo.',
  redirecting: 'Redirigiendo…',
  cancel: 'Cancelar y volver a {merchant}',
  completeTitle: 'Pago recibido',
  completeBody: '¡Gracias! Tu pago de {amount} a {merchant} se ha completado.',
  returnTo: 'Volver a {merchant}',
  expiredTitle: 'Esta página de pago ha caducado',
  expiredBody: 'Se agotó el tiempo para pagar y no se te ha cobrado nada. Si quieres comprar, vuelve a {merchant} y empieza de nuevo.',
  poweredBy: 'Con la tecnología de {name}',
};

const nl: Messages = {
  payMerchant: 'Betalen aan {merchant}',
  testMode: 'Testmodus',
  testModeNote: 'Dit is een testbetaling. Er wordt geen echt geld afgeschreven.',
  orderSummary: 'Besteloverzicht',
  qty: 'Aantal: {quantity}',
  each: '{amount} per stuk',
  subtotal: 'Subtotaal',
  total: 'Totaal',
  email: 'E-mail',
  paymentMethod: 'Betaalmethode',
  alipay: 'Alipay',
  payWith: 'Betalen met {wallet}',
  chooseWallet: 'Kies je wallet',
  otherWallet: 'Betalen met een andere wallet',
  payWithSelected: 'Betalen met gekozen wallet',
  minimum: 'Minimaal {amount}',
  or: 'of',
  showQr: 'QR-code tonen',
  scanWith: 'Scan met de {wallet}-app',
  qrLabel: 'QR-code om {amount} te betalen met {wallet}',
  openOnDevice: 'Openen op dit apparaat',
  waiting: 'Wachten op je betaling…',
  loadingQr: 'QR-code wordt gemaakt…',
  qrPlaceholder: 'Hier verschijnt je QR-code',
  phoneHint: 'Je bevestigt de betaling in de {wallet}-app.',
  phoneHintAny: 'Je bevestigt de betaling in je wallet-app.',
  errorTitle: 'Je betaling is niet gelukt',
  tryAgain: 'Probeer het opnieuw.',
  retry: 'Opnieuw proberen',
  genericError: 'Er ging iets mis. Probeer het opnieuw.',
  redirecting: 'Je wordt doorgestuurd…',
  cancel: 'Annuleren en terug naar {merchant}',
  completeTitle: 'Betaling ontvangen',
  completeBody: 'Bedankt! Je betaling van {amount} aan {merchant} is gelukt.',
  returnTo: 'Terug naar {merchant}',
  expiredTitle: 'Deze betaalpagina is verlopen',
  expiredBody: 'De tijd om te betalen is voorbij en er is niets afgeschreven. Wil je toch bestellen? Ga terug naar {merchant} en begin opnieuw.',
  poweredBy: 'Mogelijk gemaakt door {name}',
};

const id: Messages = {
  payMerchant: 'Bayar ke {merchant}',
  testMode: 'Mode uji coba',
  testModeNote: 'Ini pembayaran uji coba. Tidak ada uang sungguhan yang ditagih.',
  orderSummary: 'Ringkasan pesanan',
  qty: 'Jumlah: {quantity}',
  each: '{amount} per item',
  subtotal: 'Subtotal',
  total: 'Total',
  email: 'Email',
  paymentMethod: 'Metode pembayaran',
  alipay: 'Alipay',
  payWith: 'Bayar dengan {wallet}',
  chooseWallet: 'Pilih dompet digital',
  otherWallet: 'Bayar dengan dompet digital lain',
  payWithSelected: 'Bayar dengan dompet pilihan',
  minimum: 'Minimal {amount}',
  or: 'atau',
  showQr: 'Tampilkan kode QR',
  scanWith: 'Pindai dengan aplikasi {wallet}',
  qrLabel: 'Kode QR untuk membayar {amount} dengan {wallet}',
  openOnDevice: 'Buka di perangkat ini',
  waiting: 'Menunggu pembayaran…',
  loadingQr: 'Menyiapkan kode QR…',
  qrPlaceholder: 'Kode QR akan muncul di sini',
  phoneHint: 'Anda akan mengonfirmasi pembayaran di aplikasi {wallet}.',
  phoneHintAny: 'Anda akan mengonfirmasi pembayaran di aplikasi dompet digital Anda.',
  errorTitle: 'Pembayaran belum berhasil',
  tryAgain: 'Silakan coba lagi.',
  retry: 'Coba lagi',
  genericError: 'Terjadi kesalahan. Silakan coba lagi.',
  redirecting: 'Mengalihkan…',
  cancel: 'Batal dan kembali ke {merchant}',
  completeTitle: 'Pembayaran diterima',
  completeBody: 'Terima kasih! Pembayaran Anda sebesar {amount} kepada {merchant} telah berhasil.',
  returnTo: 'Kembali ke {merchant}',
  expiredTitle: 'Halaman pembayaran ini sudah kedaluwarsa',
  expiredBody: 'Batas waktu pembayaran telah habis dan Anda tidak dikenai biaya. Untuk membeli, kembali ke {merchant} dan mulai lagi.',
  poweredBy: 'Didukung oleh {name}',
};

const ms: Messages = {
  payMerchant: 'Bayar kepada {merchant}',
  testMode: 'Mod ujian',
  testModeNote: 'Ini pembayaran ujian. Tiada wang sebenar akan dicaj.',
  orderSummary: 'Ringkasan pesanan',
  qty: 'Kuantiti: {quantity}',
  each: '{amount} seunit',
  subtotal: 'Jumlah kecil',
  total: 'Jumlah',
  email: 'E-mel',
  paymentMethod: 'Kaedah pembayaran',
  alipay: 'Alipay',
  payWith: 'Bayar dengan {wallet}',
  chooseWallet: 'Pilih e-dompet anda',
  otherWallet: 'Bayar dengan e-dompet lain',
  payWithSelected: 'Bayar dengan e-dompet pilihan',
  minimum: 'Minimum {amount}',
  or: 'atau',
  showQr: 'Tunjukkan kod QR',
  scanWith: 'Imbas dengan aplikasi {wallet}',
  qrLabel: 'Kod QR untuk membayar {amount} dengan {wallet}',
  openOnDevice: 'Buka pada peranti ini',
  waiting: 'Menunggu pembayaran…',
  loadingQr: 'Menjana kod QR anda…',
  qrPlaceholder: 'Kod QR anda akan dipaparkan di sini',
  phoneHint: 'Anda akan mengesahkan pembayaran dalam aplikasi {wallet}.',
  phoneHintAny: 'Anda akan mengesahkan pembayaran dalam aplikasi e-dompet anda.',
  errorTitle: 'Pembayaran anda tidak berjaya',
  tryAgain: 'Sila cuba lagi.',
  retry: 'Cuba lagi',
  genericError: 'Berlaku ralat. Sila cuba lagi.',
  redirecting: 'Sila tunggu…',
  cancel: 'Batal dan kembali ke {merchant}',
  completeTitle: 'Pembayaran diterima',
  completeBody: 'Terima kasih! Pembayaran anda sebanyak {amount} kepada {merchant} telah selesai.',
  returnTo: 'Kembali ke {merchant}',
  expiredTitle: 'Halaman pembayaran ini telah tamat tempoh',
  expiredBody: 'Masa untuk membayar telah tamat dan anda tidak dicaj. Untuk membeli, kembali ke {merchant} dan mulakan semula.',
  poweredBy: 'Dikuasakan oleh {name}',
};

const th: Messages = {
  payMerchant: 'ชำระเงินให้ {merchant}',
  testMode: 'โหมดทดสอบ',
  testModeNote: 'นี่คือการชำระเงินทดสอบ จะไม่มีการเรียกเก็บเงินจริง',
  orderSummary: 'สรุปคำสั่งซื้อ',
  qty: 'จำนวน {quantity}',
  each: 'ชิ้นละ {amount}',
  subtotal: 'ยอดรวมย่อย',
  total: 'ยอดรวมทั้งหมด',
  email: 'อีเมล',
  paymentMethod: 'วิธีการชำระเงิน',
  alipay: 'Alipay',
  payWith: 'ชำระด้วย {wallet}',
  chooseWallet: 'เลือกวอลเล็ตของคุณ',
  otherWallet: 'ชำระด้วยวอลเล็ตอื่น',
  payWithSelected: 'ชำระด้วยวอลเล็ตที่เลือก',
  minimum: 'ขั้นต่ำ {amount}',
  or: 'หรือ',
  showQr: 'แสดงคิวอาร์โค้ด',
  scanWith: 'สแกนด้วยแอป {wallet}',
  qrLabel: 'คิวอาร์โค้ดสำหรับชำระ {amount} ด้วย {wallet}',
  openOnDevice: 'เปิดบนอุปกรณ์นี้',
  waiting: 'กำลังรอการชำระเงิน…',
  loadingQr: 'กำลังสร้างคิวอาร์โค้ด…',
  qrPlaceholder: 'คิวอาร์โค้ดจะแสดงที่นี่',
  phoneHint: 'คุณจะยืนยันการชำระเงินในแอป {wallet}',
  phoneHintAny: 'คุณจะยืนยันการชำระเงินในแอปวอลเล็ตของคุณ',
  errorTitle: 'การชำระเงินไม่สำเร็จ',
  tryAgain: 'โปรดลองอีกครั้ง',
  retry: 'ลองอีกครั้ง',
  genericError: 'เกิดข้อผิดพลาด โปรดลองอีกครั้ง',
  redirecting: 'กำลังพาคุณไปยังหน้าถัดไป…',
  cancel: 'ยกเลิกและกลับไปที่ {merchant}',
  completeTitle: 'ชำระเงินสำเร็จ',
  completeBody: 'ขอบคุณ! คุณชำระเงิน {amount} ให้ {merchant} เรียบร้อยแล้ว',
  returnTo: 'กลับไปที่ {merchant}',
  expiredTitle: 'หน้าชำระเงินนี้หมดอายุแล้ว',
  expiredBody: 'หมดเวลาชำระเงินแล้ว และคุณยังไม่ถูกเรียกเก็บเงิน หากต้องการซื้อ โปรดกลับไปที่ {merchant} แล้วเริ่มใหม่อีกครั้ง',
  poweredBy: 'ให้บริการโดย {name}',
};

// Filipino checkouts mix in English for terms shoppers use as-is (wallet, QR code, test mode).
const fil: Messages = {
  payMerchant: 'Magbayad sa {merchant}',
  testMode: 'Test mode',
  testModeNote: 'Test payment lang ito. Walang totoong perang sisingilin.',
  orderSummary: 'Buod ng order',
  qty: 'Dami: {quantity}',
  each: '{amount} bawat isa',
  subtotal: 'Subtotal',
  total: 'Kabuuan',
  email: 'Email',
  paymentMethod: 'Paraan ng pagbabayad',
  alipay: 'Alipay',
  payWith: 'Magbayad gamit ang {wallet}',
  chooseWallet: 'Piliin ang iyong wallet',
  otherWallet: 'Magbayad gamit ang ibang wallet',
  payWithSelected: 'Magbayad gamit ang napiling wallet',
  minimum: 'Minimum na {amount}',
  or: 'o',
  showQr: 'Ipakita ang QR code',
  scanWith: 'I-scan gamit ang {wallet} app',
  qrLabel: 'QR code para magbayad ng {amount} gamit ang {wallet}',
  openOnDevice: 'Buksan sa device na ito',
  waiting: 'Hinihintay ang iyong bayad…',
  loadingQr: 'Inihahanda ang iyong QR code…',
  qrPlaceholder: 'Lalabas dito ang iyong QR code',
  phoneHint: 'Kukumpirmahin mo ang bayad sa {wallet} app.',
  phoneHintAny: 'Kukumpirmahin mo ang bayad sa iyong wallet app.',
  errorTitle: 'Hindi natuloy ang iyong bayad',
  tryAgain: 'Pakisubukang muli.',
  retry: 'Subukang muli',
  genericError: 'Nagkaproblema. Pakisubukang muli.',
  redirecting: 'Inililipat ka…',
  cancel: 'Kanselahin at bumalik sa {merchant}',
  completeTitle: 'Natanggap ang bayad',
  completeBody: 'Salamat! Kumpleto na ang bayad mong {amount} sa {merchant}.',
  returnTo: 'Bumalik sa {merchant}',
  expiredTitle: 'Nag-expire na ang checkout na ito',
  expiredBody: 'Lumipas na ang oras para magbayad at hindi ka siningil. Para bumili, bumalik sa {merchant} at magsimulang muli.',
  poweredBy: 'Pinapagana ng {name}',
};

/** All strings, by locale. Exported so tests can check that every language has every key. */
export const MESSAGES: Readonly<Record<Locale, Messages>> = {
  en, 'zh-Hans': zhHans, 'zh-Hant': zhHant, ja, es, nl, id, ms, th, fil,
};

type PlaceholdersOf<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | PlaceholdersOf<Rest> : never;
/** The values a message needs, named by the placeholders of its English template. */
export type MessageParams<K extends MessageKey> = Record<PlaceholdersOf<(typeof en)[K]>, string | number>;
type ParamArgs<K extends MessageKey> = [PlaceholdersOf<(typeof en)[K]>] extends [never] ? [] : [params: MessageParams<K>];

/** The placeholder names a template uses, e.g. `['merchant']` for "Pay {merchant}". */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
/** Latin letters, digits, currency signs: anything but Han, CJK punctuation, full-width forms and spaces. */
const NON_CJK = /[^\s\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

/**
 * Chinese typesetting puts a space between Han characters and embedded Latin words or numbers
 * ("使用 GCash 付款", "支付 ¥20.00"), but not around Chinese names ("使用支付宝付款"); the
 * templates carry no spaces so that the value decides.
 */
function spaced(before: string, value: string, after: string): string {
  const lead = HAN.test(before.slice(-1)) && NON_CJK.test(value.slice(0, 1)) ? ' ' : '';
  const trail = HAN.test(after.slice(0, 1)) && NON_CJK.test(value.slice(-1)) ? ' ' : '';
  return lead + value + trail;
}

/**
 * The message `key` in `locale`, with its placeholders filled: `t('en', 'payWith', { wallet: 'GCash' })`.
 * Returns plain text: escape it where it goes into HTML.
 */
export function t<K extends MessageKey>(locale: Locale, key: K, ...args: ParamArgs<K>): string {
  const template = (MESSAGES[locale] ?? MESSAGES.en)[key];
  const params = (args[0] ?? {}) as Record<string, string | number>;
  const chinese = locale === 'zh-Hans' || locale === 'zh-Hant';
  return template.replace(/\{(\w+)\}/g, (whole, name: string, offset: number) => {
    const raw = params[name];
    if (raw === undefined) return whole;
    const value = String(raw);
    return chinese ? spaced(template.slice(0, offset), value, template.slice(offset + whole.length)) : value;
  });
}

const BCP47: Readonly<Record<Locale, string>> = {
  en: 'en', 'zh-Hans': 'zh-CN', 'zh-Hant': 'zh-HK', ja: 'ja-JP', es: 'es', nl: 'nl-NL',
  id: 'id-ID', ms: 'ms-MY', th: 'th-TH', fil: 'fil-PH',
};

/**
 * The tag to hand `Intl` for number and currency formatting. Chinese needs a region, since Intl
 * formats by region rather than by script; Traditional gets Hong Kong because AlipayHK's shoppers
 * are its main readers here.
 */
export function intlTag(locale: Locale): string {
  return BCP47[locale] ?? 'en';
}

/** Maps one language tag (a Stripe `locale` or an Accept-Language entry) to a page locale, if we speak it. */
export function localeFromTag(tag: string): Locale | undefined {
  const parts = tag.trim().toLowerCase().replaceAll('_', '-').split('-').filter(Boolean);
  const [lang, ...rest] = parts;
  switch (lang) {
    case 'en': return 'en';
    case 'ja': return 'ja';
    case 'es': return 'es';
    case 'nl': return 'nl';
    case 'th': return 'th';
    case 'ms': return 'ms';
    // "in" is the code Java and old Android still send for Indonesian.
    case 'id': case 'in': return 'id';
    case 'fil': case 'tl': return 'fil';
    // Cantonese speakers read Traditional characters.
    case 'yue': return 'zh-Hant';
    case 'zh': {
      if (rest.includes('hant')) return 'zh-Hant';
      if (rest.includes('hans')) return 'zh-Hans';
      if (rest.some((r) => r === 'tw' || r === 'hk' || r === 'mo')) return 'zh-Hant';
      return 'zh-Hans';
    }
    default: return undefined;
  }
}

/**
 * The language to render in. The Checkout Session's `locale` wins unless it is null or `auto`
 * (Stripe's values: `zh` is Simplified, `zh-HK` and `zh-TW` Traditional, `fil` Filipino…); a
 * session locale we don't speak falls through to the browser's Accept-Language, read in q-value
 * order; English when nothing matches.
 */
export function resolveLocale(sessionLocale: string | null | undefined, acceptLanguage: string | undefined): Locale {
  if (sessionLocale && sessionLocale.toLowerCase() !== 'auto') {
    const fromSession = localeFromTag(sessionLocale);
    if (fromSession) return fromSession;
  }
  for (const tag of acceptedTags(acceptLanguage ?? '')) {
    const l = localeFromTag(tag);
    if (l) return l;
  }
  return 'en';
}

/** Accept-Language's tags, most wanted first; q=0 means "not this one". */
function acceptedTags(header: string): string[] {
  // A real header is a few dozen bytes; the cap keeps a hostile one from costing anything.
  const entries = header.slice(0, 2048).split(',').slice(0, 64);
  const weighted: { tag: string; q: number; i: number }[] = [];
  entries.forEach((entry, i) => {
    const [rawTag, ...paramList] = entry.split(';');
    const tag = (rawTag ?? '').trim();
    if (!tag || tag === '*' || !/^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$/.test(tag)) return;
    let q = 1;
    for (const p of paramList) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q) || q <= 0 || q > 1) return;
    weighted.push({ tag, q, i });
  });
  return weighted.sort((a, b) => b.q - a.q || a.i - b.i).map((w) => w.tag);
}
