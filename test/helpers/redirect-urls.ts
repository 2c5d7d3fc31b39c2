/** Places a shopper must never be sent: script, data, files, other protocols, and schemes hidden by case or spaces. */
export const BAD_REDIRECT_URLS = [
  'javascript:alert(1)', 'JavaScript:alert(document.cookie)', ' JavaScript:alert(1)', '  javascript:alert(1)', 'JAVASCRIPT:alert(1)',
  'java\tscript:alert(1)', 'java\nscript:alert(1)', 'javascript://shop.example/%0aalert(1)', 'data:text/html,<script>alert(1)</script>',
  'DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'file:///etc/passwd', 'ftp://shop.example/return', 'vbscript:msgbox(1)',
  'shopapp://return',
];
