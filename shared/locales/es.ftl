# lambdapress: todos los textos que ve el visitante, en español (sintaxis Fluent).
# Mismos identificadores y mismos { $argumentos } que en.ftl (lo comprueba una prueba).
# Trato de usted, como corresponde a una consulta.

## Fechas

month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
# "2 de diciembre de 2026"
date-long = { $day } de { $month } de { $year }
# "diciembre de 2026" (archivo)
month-year = { $month } de { $year }
day-monday = lunes
day-tuesday = martes
day-wednesday = miércoles
day-thursday = jueves
day-friday = viernes
day-saturday = sábado
day-sunday = domingo

## Todas las páginas: cabecera y pie

skip-to-content = Saltar al contenido
notice-label = Aviso
menu-main-label = Principal
menu-toggle = Menú
search-label = Buscar
search-placeholder = Buscar en el sitio
search-button = Buscar
feeds-label = Canales
feed-posts-rss = RSS de artículos
feed-posts-atom = Atom de artículos
feed-posts-json = JSON Feed de artículos
feed-comments-rss = RSS de comentarios
opening-hours = Horario
book-appointment = Pedir cita
honeypot-label = Deje este campo vacío
email-placeholder = nombre@ejemplo.com
subscribe-box-heading = ¿Le ha gustado? ¡Suscríbase aquí abajo!
subscribe-email-label = Correo electrónico
subscribe-button = Suscribirse
home-link = Ir a la página de inicio
back-to-site = Volver al sitio
tags-label = Etiquetas

## Artículos y comentarios

post-updated = Actualizado el
reading-time = { $minutes } min de lectura
comment-count = { $count ->
    [one] { $count } comentario
   *[other] { $count } comentarios
}
comments-heading = Comentarios
comments-empty = Todavía no hay comentarios.
comment-reply = Responder
comment-pages-label = Páginas de comentarios
comments-older = ← Comentarios anteriores
comments-newer = Comentarios más recientes →
comments-newest = Últimos comentarios
comment-page-of = Página { $page } de { $pages } de comentarios
comment-reply-to = Responder a { $name }
comment-cancel-reply = Cancelar respuesta
comment-leave = Deje un comentario
comment-notes-private = Su dirección de correo no se publicará.
comment-notes-markdown = Puede usar *énfasis*, `código`, > citas, listas y [enlaces](https://example.com).
comment-body-label = Comentario
form-name-label = Nombre
comment-email-label = Correo electrónico (no se muestra)
comment-website-label = Sitio web (opcional)
comment-submit = Publicar comentario
comments-closed = Los comentarios están cerrados.
moderation-note-all = Los comentarios se revisan antes de publicarse.
moderation-note-first = El primer comentario de cada persona se revisa antes de publicarse.
comment-held = ¡Gracias! Su comentario está pendiente de moderación.
comment-published = ¡Gracias! Su comentario se ha publicado.
comment-held-owner-not-told = ¡Gracias! Su comentario se ha guardado y está pendiente de moderación. No hemos podido avisar por correo al responsable del sitio, así que puede tardar más de lo habitual en aparecer.

## Páginas: formulario de contacto y datos del negocio

contact-heading = Envíenos un mensaje
contact-sent = ¡Gracias! Su mensaje se ha enviado; le responderemos a la dirección que nos ha indicado.
contact-sent-short = ¡Gracias! Su mensaje se ha enviado.
contact-email-label = Correo electrónico (le responderemos aquí)
contact-message-label = Mensaje
contact-notes = Su mensaje nos llega por correo y no se guarda en este sitio.
contact-submit = Enviar mensaje
business-heading = Visítenos o llámenos
business-map = Ver en un mapa

## Listados, temas y archivo

latest-posts = Últimos artículos
no-posts = Todavía no hay artículos.
tag-heading = Artículos sobre «{ $tag }»
tag-description = Artículos sobre { $tag } de { $site }
month-heading = Artículos de { $month }
month-description = Artículos de { $month } en { $site }
title-page = { $title } – Página { $page }
heading-page = { $heading } – página { $page }
pages-label = Páginas
newer-posts = ← Artículos más recientes
older-posts = Artículos anteriores →
topics-heading = Temas
topics-description = Todos los temas sobre los que escribe { $site }
post-count = { $count ->
    [one] { $count } artículo
   *[other] { $count } artículos
}
archive-all-months = Todos los artículos por mes
archive-heading = Archivo
archive-description = Todos los artículos de { $site }, por mes
archive-all-topics = Todos los temas

## Búsqueda

search-heading = Buscar
search-title-query = Búsqueda: { $query }
search-description = Busque en los artículos y páginas de { $site }
search-not-ready = La búsqueda aún no está disponible. Vuelva a intentarlo dentro de unos minutos.
search-nothing = Nada coincide con «{ $query }». Pruebe con menos palabras o con otras, o consulte
search-topics-link = los temas
search-count = { $count ->
    [one] { $count } resultado para «{ $query }»
   *[other] { $count } resultados para «{ $query }»
}
search-count-page = – página { $page }
search-pages-label = Páginas de resultados
search-previous = ← Resultados anteriores
search-more = Más resultados →
search-too-long = Su búsqueda es demasiado larga. Use como máximo { $max } caracteres.
search-too-many-words = Su búsqueda tiene demasiadas palabras. Use como máximo { $max }.
search-bad-page = El número de página debe ser un número entero del 1 al { $max }.

## Errores del sitio

error-not-found = Página no encontrada
error-not-found-text = No hay ninguna página en esta dirección. Puede que se haya movido o que el enlace esté mal escrito.
error-bad-comment-page = Página de comentarios no válida
error-bad-comment-page-text = La página de comentarios de esta dirección no es un número de página. Las páginas de comentarios se numeran desde el 1.
error-method = Método no permitido
error-method-get-text = Esta dirección solo responde a peticiones GET y HEAD.
error-method-text = Esta dirección no responde a ese tipo de petición.
error-too-large = Archivo demasiado grande
error-too-large-text = Este archivo es demasiado grande para que el sitio lo sirva. Por favor, avise al responsable del sitio.
error-unavailable = No disponible temporalmente
error-unavailable-text = El sitio no puede cargar esta página en este momento. Vuelva a intentarlo dentro de un minuto.
error-form-unreadable = No se ha podido leer el formulario. Vuelva atrás e inténtelo de nuevo.
error-form-type = Envíe el formulario como application/x-www-form-urlencoded o application/json.
error-fields = Revise los campos señalados.
error-no-page-text = No hay ninguna página en esta dirección.

## Campos de formulario

field-name-missing = Escriba su nombre.
field-name-too-long = El nombre puede tener como máximo { $max } caracteres.
field-name-not-plain = El nombre debe ser texto sin formato en una sola línea.
field-email-missing = Escriba su dirección de correo (nunca se muestra).
field-email-too-long = Una dirección de correo puede tener como máximo { $max } caracteres.
field-email-invalid = Escriba una dirección de correo como nombre@ejemplo.com.
field-website-too-long = La dirección del sitio web puede tener como máximo { $max } caracteres.
field-website-invalid = El sitio web debe ser una dirección que empiece por http:// o https://.
field-comment-missing = Escriba un comentario.
field-comment-too-long = Un comentario puede tener como máximo { $max } caracteres.
field-comment-hidden = El comentario contiene caracteres de control invisibles.
field-message-missing = Escriba su mensaje.
field-message-too-long = Un mensaje puede tener como máximo { $max } caracteres.
field-message-hidden = El mensaje contiene caracteres de control invisibles.
field-parent-elsewhere = El comentario al que responde no está en este artículo.
field-not-a-comment = Esto no es un comentario de este sitio.

## Errores de comentarios

comment-error-check = Revise su comentario
comment-error-not-sent = Comentario no enviado
comment-error-too-long = El comentario es demasiado largo.
comment-error-no-post = Artículo no encontrado
comment-error-no-post-text = No hay ningún artículo en esta dirección que se pueda comentar.
comment-error-closed-text = Este artículo ya no admite comentarios.
comment-error-slow = Un momento, por favor
comment-error-slow-text = Está enviando comentarios demasiado deprisa. Espere unos segundos y vuelva a intentarlo.
comment-error-repeat = Comentario duplicado
comment-error-repeat-text = Parece que ya había enviado este mismo comentario.
comment-error-unavailable-text = No se ha podido procesar el comentario en este momento. Vuelva a intentarlo dentro de un minuto.

## Moderación (los enlaces del responsable)

moderate-heading = Moderar un comentario
moderate-press = Pulse «{ $button }» para confirmar.
moderate-on = En
moderate-approve = Aprobar este comentario
moderate-spam = Marcar como spam
moderate-delete = Eliminar este comentario
moderate-approved = Comentario aprobado
moderate-spammed = Comentario marcado como spam
moderate-deleted = Comentario eliminado
moderate-go-to-post = Ir al artículo
moderate-status-pending = pendiente
moderate-status-approved = aprobado
moderate-status-spam = spam
moderate-bad-link = Enlace no válido
moderate-bad-link-text = Este enlace de moderación está dañado o ha caducado. Use un correo más reciente o la línea de comandos.
moderate-bad-action = Acción desconocida
moderate-bad-action-text = Un comentario se puede aprobar, marcar como spam o eliminar.
moderate-gone = Comentario no encontrado
moderate-gone-text = Este comentario ya se había eliminado.
moderate-used = Enlace ya utilizado
moderate-used-text = Este comentario se moderó después de enviarse este correo, y cada enlace funciona una sola vez. Su estado actual se ve en el artículo; use la línea de comandos para cambiarlo de nuevo.
moderate-meanwhile = Ya moderado
moderate-meanwhile-text = Otro enlace de moderación de este comentario se usó en el mismo momento y se aplicó antes; este no ha cambiado nada. El estado actual del comentario se ve en el artículo.

## Errores de contacto y el correo al responsable

contact-error-check = Revise su mensaje
contact-error-not-sent = Mensaje no enviado
contact-error-too-long = El mensaje es demasiado largo.
contact-error-no-form = No hay ningún formulario de contacto en esta dirección.
contact-error-slow-text = Acaba de enviar un mensaje. Espere un minuto antes de enviar otro.
contact-error-mail-text = No se ha podido enviar su mensaje en este momento. Vuelva a intentarlo dentro de unos minutos o llámenos.
contact-error-unavailable-text = No se ha podido procesar el mensaje en este momento. Vuelva a intentarlo dentro de un minuto.
contact-mail-subject = Mensaje de { $name } – { $site }
contact-mail-intro = { $name } <{ $email }> escribió desde el formulario de contacto de { $url }:
contact-mail-footer = Responda a este correo para contestar a { $name }. El mensaje no se guarda en el sitio.

## Suscripciones

subscribe-title-fallback = este sitio
subscribe-confirm-heading = Confirme su suscripción
subscribe-confirm-text = Pulse el botón para empezar a recibir los nuevos artículos por correo.
subscribe-confirm-button = Confirmar suscripción
subscribe-ended-heading = Esta suscripción ha terminado
subscribe-ended-text = Esta dirección se dio de baja después de enviarse el enlace. Para suscribirse de nuevo, regístrese aquí abajo.
unsubscribe-heading = Darse de baja
unsubscribe-text = Pulse el botón para dejar de recibir artículos por correo.
unsubscribe-button = Darse de baja
unsubscribed-heading = Se ha dado de baja
unsubscribed-text = No recibirá más artículos por correo. ¿Ha cambiado de opinión? Puede volver a suscribirse cuando quiera.
subscribe-heading = Suscríbase
subscribe-text = Reciba los nuevos artículos por correo. Puede darse de baja con un clic desde cualquier mensaje.
subscribe-thanks-heading = Casi listo: revise su bandeja de entrada
subscribe-thanks-text = Salvo que esta dirección ya esté suscrita, le hemos enviado un mensaje con un enlace. Abra el enlace y pulse Confirmar para completar la suscripción.
subscribed-heading = Suscripción confirmada
subscribed-text = ¡Gracias! Los nuevos artículos le llegarán a su bandeja de entrada. Cada mensaje incluye un enlace para darse de baja.
subscribe-accepted = Revise su bandeja de entrada: le hemos enviado un enlace de confirmación.
subscribe-error-email = Revise su dirección de correo
subscribe-error-email-text = La dirección de abajo no puede recibir correo tal como está escrita.
subscribe-error-form = Algo ha fallado con el formulario
subscribe-error-rate = Demasiadas suscripciones
subscribe-error-rate-text = { $minutes ->
    [one] Se han recibido demasiadas suscripciones desde su red en poco tiempo. Vuelva a intentarlo dentro de un minuto.
   *[other] Se han recibido demasiadas suscripciones desde su red en poco tiempo. Vuelva a intentarlo dentro de { $minutes } minutos.
}
subscribe-error-expired = Este enlace ha caducado
subscribe-error-expired-text = Los enlaces de nuestros correos solo funcionan durante un tiempo limitado. Regístrese de nuevo aquí abajo para recibir uno nuevo.
subscribe-error-old-key = Este enlace es demasiado antiguo
subscribe-error-old-key-text = El sitio ha cambiado la clave con la que firma sus enlaces desde que se envió este. Regístrese de nuevo aquí abajo para recibir un enlace nuevo.
subscribe-error-bad-link = Este enlace no funciona
subscribe-error-bad-link-text = El enlace está incompleto o no lo ha enviado este sitio. Use el enlace exactamente como aparece en el correo, o regístrese de nuevo aquí abajo.
subscribe-error-mail = No hemos podido enviarle el correo de confirmación
subscribe-error-mail-text = Nuestro servicio de correo no aceptó el mensaje, así que no se ha enviado nada y todavía no está suscrito. Vuelva a intentarlo dentro de unos minutos.
subscribe-error-unavailable-text = No hemos podido completar su solicitud en este momento. Vuelva a intentarlo dentro de un minuto.
subscriber-email-empty = Escriba su dirección de correo.
subscriber-email-too-long = Esa dirección es demasiado larga (como máximo { $max } caracteres).
subscriber-email-missing-at = Eso no parece una dirección de correo: necesita una @, como nombre@ejemplo.com.
subscriber-email-bad-local = La parte anterior a la @ debe tener entre 1 y { $max } caracteres.
subscriber-email-bad-domain = La parte posterior a la @ debe ser un dominio con un punto, como ejemplo.com.
subscriber-email-bad-character = Las direcciones de correo no pueden contener espacios, comillas ni corchetes.

## Correos a los suscriptores

confirm-mail-subject = Confirme su suscripción a { $site }
confirm-mail-greeting = Hola:
confirm-mail-asked = Alguien (esperamos que usted) ha pedido recibir en esta dirección los nuevos artículos de { $site }.
confirm-mail-open = Para confirmarlo, abra este enlace en las próximas { $hours } horas y pulse el botón Confirmar:
confirm-mail-ignore = Si no lo ha pedido usted, ignore este mensaje: no recibirá nada más a menos que confirme.
mail-unsubscribe-line = Darse de baja: { $url }
newsletter-read-on-site = Leer en el sitio
newsletter-why = Recibe este correo porque se suscribió a los nuevos artículos de { $url }.
newsletter-unsubscribe = Darse de baja
newsletter-unsubscribe-one-click = con un clic.
digest-subject = { $count ->
    [one] { $site }: { $count } artículo nuevo
   *[other] { $site }: { $count } artículos nuevos
}

## Canales y el índice

toc-title = Contenido
feed-comments-title = Comentarios en { $site }
feed-comments-description = Los comentarios más recientes en { $site }
feed-post-comments-title = Comentarios sobre: { $post }
feed-post-comments-description = Comentarios sobre «{ $post }» en { $site }
feed-comment-item-title = Comentario de { $author } sobre { $post }

## El correo al responsable por un comentario retenido

owner-mail-subject = Pendiente de moderar: «{ $post }»
owner-mail-waiting = Hay un comentario nuevo en «{ $post }» esperando su aprobación.
owner-mail-author = Autor
owner-mail-email = Correo
owner-mail-website = Sitio web
owner-mail-approve = Aprobarlo
owner-mail-spam = Marcarlo como spam
owner-mail-delete = Eliminarlo
owner-mail-notes = Cada enlace abre una página con un botón; nada cambia hasta que lo pulse.
    Cada enlace funciona una sola vez y durante 7 días.
